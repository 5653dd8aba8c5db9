import Foundation
import GRDB
import GRDBSQLite

/// The base: what both sides last agreed on, one row per contact (its agreed values as one JSON
/// object), with a digest per field in `base_digests` for the plan's quick comparisons.
extension MirrorDatabase {
    static func registerBaseMigrations(_ migrator: inout DatabaseMigrator) {
        // The base becomes one row per contact, its agreed values one JSON object: a first sync of
        // a million contacts wrote thirteen million rows (the largest table after staging), and
        // each agreement rewrote a row per field.
        migrator.registerMigration("v16-base-per-contact") { db in
            try db.execute(
                sql: """
                    CREATE TABLE base_per_contact (
                        contact_id TEXT NOT NULL PRIMARY KEY,
                        agreed TEXT NOT NULL,
                        agreed_at TEXT NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO base_per_contact (contact_id, agreed, agreed_at)
                        SELECT contact_id, json_group_object(field, CASE WHEN json_valid(value) THEN json(value) ELSE json_quote(value) END), max(agreed_at)
                        FROM base GROUP BY contact_id;
                    DROP TABLE base;
                    ALTER TABLE base_per_contact RENAME TO base;
                    """)
        }
    }

    /// Records values both sides hold, as the new base (JSON null: both agree the field is empty;
    /// a nil value forgets the field's base).
    public func recordAgreements(_ agreements: [(contactId: String, field: String, value: JSON?)]) throws {
        try recordAgreements(agreements, knownBase: nil)
    }

    /// `recordAgreements`, given (when the caller read it) every base value the contacts had
    /// before: their new bases and digests are then made from those and the agreements, without
    /// reading the base again (a plan reads each pair's base before diffing it, and nothing else
    /// writes the base meanwhile).
    func recordAgreements(_ agreements: [(contactId: String, field: String, value: JSON?)], knownBase: [String: [String: JSON]]?) throws {
        guard !agreements.isEmpty else { return }
        try writer.write { db in
            let now = Timestamp.format(Date())
            // One row per contact: a first sync agrees on every field of every pair, a dozen rows
            // per contact when the base had one per field.
            var bases: [(contactId: String, values: [String: JSON])] = []
            var position: [String: Int] = [:]
            for agreement in agreements {
                if position[agreement.contactId] == nil {
                    position[agreement.contactId] = bases.count
                    let before = try knownBase.map { $0[agreement.contactId] ?? [:] } ?? Self.base(of: agreement.contactId, in: db)
                    bases.append((agreement.contactId, before))
                }
                if let index = position[agreement.contactId] { bases[index].values[agreement.field] = agreement.value }
            }
            try Self.storeBases(bases, at: now, in: db)
        }
    }

    /// The base digests of every contact, from the base as it was stored before v16 (one row per
    /// field): only migration v12 calls this, on a mirror still in that format.
    static func legacyRefreshBaseDigests(in db: Database) throws {
        var bases: [String: [String: JSON]] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT contact_id, field, value FROM base")
        while let row = try rows.next() {
            let text: String = row[2]
            bases[row[0], default: [:]][row[1]] = (try? JSON.parse(Data(text.utf8))) ?? .null
        }
        try writeBaseDigests(bases, in: db)
    }

    /// The agreed values of one contact (empty when nothing is agreed).
    static func base(of contactId: String, in db: Database) throws -> [String: JSON] {
        guard let text = try String.fetchOne(db, sql: "SELECT agreed FROM base WHERE contact_id = ?", arguments: [contactId]) else { return [:] }
        return (try? JSON.parse(Data(text.utf8)))?.object ?? [:]
    }

    /// Stores contacts' whole bases — one row each, the values as one JSON object — with their
    /// digests; an empty base removes both.
    static func storeBases(_ bases: [(contactId: String, values: [String: JSON])], at time: String, in db: Database) throws {
        let write = try db.cachedStatement(sql: "INSERT OR REPLACE INTO base (contact_id, agreed, agreed_at) VALUES (?, ?, ?)")
        let clear = try db.cachedStatement(sql: "DELETE FROM base WHERE contact_id = ?")
        for (id, values) in bases {
            try upsert(id, write, clear, in: db, values.isEmpty ? nil : { handle in
                RawSQL.bind(JSON.object(values).canonicalText, at: 2, to: handle)
                RawSQL.bind(time, at: 3, to: handle)
            })
        }
        try writeBaseDigests(bases.map { (key: $0.contactId, value: $0.values) }, in: db)
    }

    /// Stores each contact's base digests computed from its whole base (none for an empty one).
    private static func writeBaseDigests(_ bases: some Sequence<(key: String, value: [String: JSON])>, in db: Database) throws {
        let write = try db.cachedStatement(sql: "INSERT OR REPLACE INTO base_digests (contact_id, digests) VALUES (?, ?)")
        let clear = try db.cachedStatement(sql: "DELETE FROM base_digests WHERE contact_id = ?")
        for (id, values) in bases {
            try upsert(id, write, clear, in: db, values.isEmpty ? nil : { RawSQL.bind(blob: SyncDigest.base(values), at: 2, to: $0) })
        }
    }

    /// Runs `write` for a contact — its id bound first, then what `bind` binds — or, with no
    /// `bind`, `clear` with the id alone.
    private static func upsert(_ id: String, _ write: Statement, _ clear: Statement, in db: Database, _ bind: ((OpaquePointer) -> Void)?) throws {
        let statement = bind == nil ? clear : write
        try withExtendedLifetime(statement) {
            let handle = statement.sqliteStatement
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            RawSQL.bind(id, at: 1, to: handle)
            bind?(handle)
            try RawSQL.execute(handle, in: db)
        }
    }
}

extension MirrorDatabase {
    /// The base's digests in contact id order (merged into the contact index by `attachBase`).
    func baseDigestList(mask: UInt32?) throws -> BaseDigestList {
        try writer.read { db in
            try Self.withScanCache(db) {
                var list = BaseDigestList()
                let fields = SyncDigest.fieldCount
                // At most one base per contact: reserved up front rather than grown by doubling.
                let bound = min(try Int.fetchOne(db, sql: "SELECT max(rowid) FROM contacts") ?? 0, 50_000_000)
                list.ids.reserveCapacity(bound)
                list.digests.reserveCapacity(bound * (mask == nil ? fields : 1))
                let statement = try db.makeStatement(sql: "SELECT contact_id, digests FROM base_digests ORDER BY contact_id")
                let handle = statement.sqliteStatement
                try withExtendedLifetime(statement) {
                    while try RawSQL.step(handle, in: db) {
                        guard sqlite3_column_bytes(handle, 1) == fields * 8, let blob = sqlite3_column_blob(handle, 1) else { continue }
                        list.ids.append(Self.bytes(handle, 0))
                        Self.appendDigests(blob, at: 0, mask: mask, to: &list.digests)
                    }
                }
                return list
            }
        }
    }

    /// Of the given contacts, those with a base (values once agreed with a LocaliQ record).
    func contactsWithBase(_ contactIds: [String]) throws -> Set<String> {
        guard !contactIds.isEmpty, try writer.read({ db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM base)") ?? false }) else { return [] }
        return try splitRead(contactIds) { part in try readContactsWithBase(part) }.reduce(into: Set<String>()) { $0.formUnion($1) }
    }

    private func readContactsWithBase(_ contactIds: [String]) throws -> Set<String> {
        try writer.read { db in
            // Scattered lookups: a small cache, or each page read stays in this connection's 64 MiB.
            try Self.withScanCache(db) {
                var found = Set<String>()
                try db.forEachStatementRow("SELECT contact_id FROM base WHERE contact_id IN", keys: contactIds) { handle in
                    if let id = Self.text(handle, 0) { found.insert(id) }
                }
                return found
            }
        }
    }

    /// The agreed values of chosen contacts (thousands read in two halves side by side: a
    /// plan's batch of pairs waited on this read more than on anything else).
    func baseValues(contactIds: [String]) throws -> [String: [String: JSON]] {
        guard !contactIds.isEmpty else { return [:] }
        let parts = try splitRead(contactIds) { part in try readBaseValues(contactIds: part) }
        return merged(parts)
    }

    private func readBaseValues(contactIds: [String]) throws -> [String: [String: JSON]] {
        try writer.read { db in
            try Self.withScanCache(db, kib: 8192) {
                var base: [String: [String: JSON]] = [:]
                base.reserveCapacity(contactIds.count)
                try db.forEachStatementRow("SELECT contact_id, agreed FROM base WHERE contact_id IN", keys: contactIds) { handle in
                    base[Self.text(handle, 0) ?? ""] = (try? JSONParser.parse(bytes: Self.bytes(handle, 1)))?.object ?? [:]
                }
                return base
            }
        }
    }
}
