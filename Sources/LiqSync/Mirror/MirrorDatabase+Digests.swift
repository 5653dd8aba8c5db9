import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// The sync digests (`SyncDigest`) of contacts, staged rows and the base, and the compact
/// indexes a plan matches and filters on before it reads any record in full.
extension MirrorDatabase {
    static func registerDigestMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v12-sync-digests") { db in
            try db.execute(
                sql: """
                    ALTER TABLE contacts ADD COLUMN sync_digests BLOB;
                    ALTER TABLE staged_rows ADD COLUMN sync_digests BLOB;
                    CREATE TABLE base_digests (contact_id TEXT NOT NULL PRIMARY KEY, digests BLOB NOT NULL) WITHOUT ROWID;
                    """)
            // Records written before this version get their digests now, so the first plan
            // after an upgrade is as fast as the next.
            let contacts = try Row.fetchCursor(db, sql: "SELECT id, raw FROM contacts")
            let setContact = try db.makeStatement(sql: "UPDATE contacts SET sync_digests = ? WHERE id = ?")
            while let row = try contacts.next() {
                let text: String = row["raw"]
                guard let raw = try? JSON.parse(Data(text.utf8)) else { continue }
                try setContact.execute(arguments: [Data(SyncDigest.contact(raw: raw)), row["id"] as String])
            }
            // Staged rows written before keep no digest record: a plan diffs them in full (the
            // next import of each file stages its rows with one).
            try legacyRefreshBaseDigests(in: db)
            // Covering indexes: the plan reads these columns of every record without touching
            // the records' pages (raw JSON, cells), which are most of the file.
            try db.execute(
                sql: """
                    CREATE INDEX contacts_sync ON contacts(id, email_key, phone_key, deleted_at, date_updated, sync_digests);
                    CREATE INDEX staged_rows_sync ON staged_rows(row_id, source_id, sync_digests) WHERE status = 'staged';
                    """)
        }
        // Interaction rows are few among contact rows: the plan finds them through this index
        // instead of reading every staged row.
        migrator.registerMigration("v13-activity-rows") { db in
            try db.execute(sql: "CREATE INDEX staged_rows_activity ON staged_rows(row_id) WHERE activity IS NOT NULL")
        }
    }
}

extension MirrorDatabase {
    /// Reads every contact's id, rowid, keys and digests and the fingerprint in one read
    /// transaction, through the covering index, without a string per id, key or timestamp.
    func contactIndex(mask: UInt32?) throws -> ContactIndex {
        try writer.read { db in
            try Self.withScanCache(db) {
                var index = ContactIndex()
                index.mask = mask
                // An upper bound without counting (rowids grow with inserts).
                let total = min(try Int.fetchOne(db, sql: "SELECT max(rowid) FROM contacts") ?? 0, 50_000_000)
                let fields = SyncDigest.fieldCount
                let width = index.width
                index.ids.reserveCapacity(total)
                index.rowids.reserveCapacity(total)
                index.deleted.reserveCapacity(total)
                index.hasDigests.reserveCapacity(total)
                index.digests.reserveCapacity(total * width)
                // Live contacts' keys by position, indexed after the scan in the tables' region order.
                var emailKeys: [KeyHash?] = []
                var phoneKeys: [KeyHash?] = []
                emailKeys.reserveCapacity(total)
                phoneKeys.reserveCapacity(total)
                var fingerprint = FingerprintHasher()
                let statement = try db.makeStatement(
                    sql: "SELECT id, email_key, phone_key, deleted_at, date_updated, sync_digests, rowid FROM contacts INDEXED BY contacts_sync ORDER BY id")
                let handle = statement.sqliteStatement
                try withExtendedLifetime(statement) {
                    while try RawSQL.step(handle, in: db) {
                        let id = Self.bytes(handle, 0)
                        let deleted = sqlite3_column_type(handle, 3) != SQLITE_NULL
                        fingerprint.add(id, Self.bytes(handle, 4), Self.bytes(handle, 3))
                        index.ids.append(id)
                        index.rowids.append(sqlite3_column_int64(handle, 6))
                        index.deleted.append(deleted)
                        let live = !deleted
                        emailKeys.append(live && sqlite3_column_type(handle, 1) != SQLITE_NULL ? KeyHash(Self.bytes(handle, 1)) : nil)
                        phoneKeys.append(live && sqlite3_column_type(handle, 2) != SQLITE_NULL ? KeyHash(Self.bytes(handle, 2)) : nil)
                        if sqlite3_column_bytes(handle, 5) == fields * 8, let blob = sqlite3_column_blob(handle, 5) {
                            Self.appendDigests(blob, at: 0, mask: mask, to: &index.digests)
                            index.hasDigests.append(true)
                        } else {
                            index.digests.append(contentsOf: repeatElement(0, count: width))
                            index.hasDigests.append(false)
                        }
                    }
                }
                index.fingerprint = fingerprint.hex
                index.fingerprintSums = fingerprint
                index.indexKeys(email: emailKeys, phone: phoneKeys)
                return index
            }
        }
    }

    /// Runs a one-pass scan (or a plan's batch of scattered reads) with a small page cache: pages
    /// read once are not worth keeping, and filling the connection's usual 64 MiB with them costs
    /// page faults and memory.
    static func withScanCache<T>(_ db: Database, kib: Int = 2048, _ body: () throws -> T) throws -> T {
        try db.execute(sql: "PRAGMA cache_size = -\(kib)")
        defer { try? db.execute(sql: "PRAGMA cache_size = \(cacheSizePragma)") }
        return try body()
    }

    /// The LocaliQ records of older exports that a newer one supersedes: among `imports`, those
    /// staged through the same mapping and carrying no activities are snapshots of the same export
    /// (a nightly file named by date, a re-download as `contacts (2).csv`), and a row whose LocaliQ
    /// id a newer one holds too is that record as it was. Per import, the ids to leave out.
    func supersededSourceIds(imports: [Int64]) throws -> [Int64: Set<String>] {
        guard imports.count > 1 else { return [:] }
        return try writer.read { db in
            var snapshots: [String: [Int64]] = [:]
            for id in imports {
                guard try !Self.hasActivities(importId: id, in: db), let mapping = try String.fetchOne(db, sql: "SELECT mapping_digest FROM imports WHERE id = ?", arguments: [id])
                else { continue }
                snapshots[mapping, default: []].append(id)
            }
            var superseded: [Int64: Set<String>] = [:]
            for ids in snapshots.values where ids.count > 1 {
                var newer = Set<String>()
                for id in ids.sorted(by: >) {
                    let held = try Set(
                        String.fetchAll(
                            db, sql: "SELECT source_id FROM staged_rows INDEXED BY staged_rows_sync WHERE row_id BETWEEN ? AND ? AND status = 'staged' AND source_id IS NOT NULL",
                            arguments: [id << 32, id << 32 | 0xFFFF_FFFF]))
                    let shared = held.intersection(newer)
                    if !shared.isEmpty { superseded[id] = shared }
                    newer.formUnion(held)
                }
            }
            return superseded
        }
    }

    /// Appends the keys and digests of an import's staged rows, in row order, read through a covering
    /// index; rows whose LocaliQ id is in `superseded` are left out.
    func rowDigests(importId: Int64, leavingOut superseded: Set<String> = [], into table: inout RowTable) throws {
        try writer.read { db in
            try Self.withScanCache(db) {
                // An upper bound without counting: the last line staged.
                let last = try Int64.fetchOne(
                    db, sql: "SELECT max(row_id) FROM staged_rows WHERE row_id BETWEEN ? AND ?", arguments: [importId << 32, importId << 32 | 0xFFFF_FFFF])
                table.rows.reserveCapacity(table.rows.count + Int(min((last ?? importId << 32) & 0xFFFF_FFFF, 50_000_000)))
                let statement = try db.makeStatement(
                    sql: """
                        SELECT row_id, source_id, sync_digests FROM staged_rows INDEXED BY staged_rows_sync
                        WHERE row_id BETWEEN ? AND ? AND status = 'staged' ORDER BY row_id
                        """)
                try statement.setArguments([importId << 32, importId << 32 | 0xFFFF_FFFF])
                let handle = statement.sqliteStatement
                try withExtendedLifetime(statement) {
                    while try RawSQL.step(handle, in: db) {
                        let rowId = sqlite3_column_int64(handle, 0)
                        let sourceId = Self.text(handle, 1)
                        if !superseded.isEmpty, let id = sourceId, superseded.contains(id) { continue }
                        if sqlite3_column_bytes(handle, 2) == SyncDigest.rowRecordSize, let blob = sqlite3_column_blob(handle, 2) {
                            table.rows.append(RowKeys(rowId: rowId, sourceId: sourceId, record: blob))
                        } else {
                            table.rows.append(RowKeys(rowId: rowId, sourceId: sourceId))
                        }
                    }
                }
            }
        }
    }

    /// A digest of the mirror's contacts (id, dateUpdated, deletion) and their count: it changes
    /// whenever a pull brought something new, so `apply` can tell that a plan is out of date. The
    /// plan computes the same while reading its contact index (`FingerprintHasher`: the order of
    /// reading does not matter).
    public func contactsFingerprint() throws -> (digest: String, count: Int) {
        try writer.read { db in
            var hasher = FingerprintHasher()
            let statement = try db.makeStatement(sql: "SELECT id, date_updated, deleted_at FROM contacts INDEXED BY contacts_sync")
            let handle = statement.sqliteStatement
            try withExtendedLifetime(statement) {
                while try RawSQL.step(handle, in: db) { hasher.add(Self.bytes(handle, 0), Self.bytes(handle, 1), Self.bytes(handle, 2)) }
            }
            return (hasher.hex, hasher.count)
        }
    }

    /// The plan's full view of chosen contacts (those whose pair differs somewhere), found by
    /// rowid (one B-tree instead of two) and checked against the id expected there; any not found
    /// that way are read by id.
    func planContacts(_ wanted: [(id: String, rowid: Int64)]) throws -> [String: PlanContact] {
        guard !wanted.isEmpty else { return [:] }
        return try writer.read { db in
            try Self.withScanCache(db, kib: 8192) {
                var result: [String: PlanContact] = [:]
                result.reserveCapacity(wanted.count)
                let expected = Dictionary(wanted.map { ($0.rowid, $0.id) }, uniquingKeysWith: { first, _ in first })
                try db.forEachStatementRow("SELECT id, email_key, phone_key, date_updated, deleted_at, raw, rowid FROM contacts WHERE rowid IN", keys: wanted.map(\.rowid)) { handle in
                    let contact = Self.planContact(handle)
                    guard expected[sqlite3_column_int64(handle, 6)] == contact.id else { return }
                    result[contact.id] = contact
                }
                let missing = wanted.map(\.id).filter { result[$0] == nil }
                try db.forEachStatementRow("SELECT id, email_key, phone_key, date_updated, deleted_at, raw FROM contacts WHERE id IN", keys: missing) { handle in
                    let contact = Self.planContact(handle)
                    result[contact.id] = contact
                }
                return result
            }
        }
    }

    /// The plan's full view of chosen staged rows.
    func planRows(rowIds: [Int64], known: KnownFields) throws -> [Int64: PlanRow] {
        guard !rowIds.isEmpty else { return [:] }
        return try writer.read { db in
            try Self.withScanCache(db, kib: 8192) {
                var result: [Int64: PlanRow] = [:]
                result.reserveCapacity(rowIds.count)
                try db.forEachStatementRow("SELECT row_id, line, source_id, email_key, phone_key, fields FROM staged_rows WHERE row_id IN", keys: rowIds) { handle in
                    let rowId = sqlite3_column_int64(handle, 0)
                    result[rowId] = PlanRow(
                        importId: rowId >> 32, line: Int(sqlite3_column_int64(handle, 1)), sourceId: Self.text(handle, 2), emailKey: Self.text(handle, 3),
                        phoneKey: Self.text(handle, 4), json: Self.bytes(handle, 5), known: known)
                }
                return result
            }
        }
    }

    /// The match keys of chosen staged rows: those without a digest record, and those with a
    /// HighLevel id column (which matching reads before email and phone).
    func rowMatchKeys(rowIds: [Int64]) throws -> [Int64: (emailKey: String?, phoneKey: String?, highlevelId: String?)] {
        try writer.read { db in
            var result: [Int64: (emailKey: String?, phoneKey: String?, highlevelId: String?)] = [:]
            try db.forEachRow(
                """
                SELECT row_id, email_key, phone_key,
                    CASE json_type(fields, '$.highlevel_id') WHEN 'text' THEN json_extract(fields, '$.highlevel_id') END
                FROM staged_rows WHERE row_id IN
                """, keys: rowIds
            ) { row in
                result[row[0]] = (row[1], row[2], row[3])
            }
            return result
        }
    }

    /// LocaliQ id → position in the contact index, for links to contacts the mirror holds
    /// (building the index's lookup by id when there are links).
    func linkIndex(_ contacts: inout ContactIndex) throws -> [String: Int32] {
        guard try writer.read({ db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM links)") ?? false }) else { return [:] }
        contacts.indexIds()
        return try writer.read { [contacts] db in
            var links: [String: Int32] = [:]
            let statement = try db.makeStatement(sql: "SELECT localiq_id, contact_id FROM links")
            let handle = statement.sqliteStatement
            while withExtendedLifetime(statement, { sqlite3_step(handle) }) == SQLITE_ROW {
                guard let localiq = Self.text(handle, 0), let position = contacts.byId[KeyHash(Self.bytes(handle, 1))] else { continue }
                links[localiq] = position
            }
            return links
        }
    }

    /// A contact as the plan compares it, from a row of (id, email_key, phone_key, date_updated,
    /// deleted_at, raw).
    static func planContact(_ handle: OpaquePointer) -> PlanContact {
        PlanContact(
            id: text(handle, 0) ?? "", emailKey: text(handle, 1), phoneKey: text(handle, 2), dateUpdated: text(handle, 3),
            deleted: sqlite3_column_type(handle, 4) != SQLITE_NULL, synced: synced(raw: bytes(handle, 5)))
    }

    static func planContact(_ row: Row) -> PlanContact {
        var text: String = row["raw"]
        return PlanContact(
            id: row["id"], emailKey: row["email_key"], phoneKey: row["phone_key"], dateUpdated: row["date_updated"],
            deleted: (row["deleted_at"] as String?) != nil, synced: text.withUTF8 { synced(raw: UnsafeRawBufferPointer($0)) })
    }

    /// The synced fields of a contact's raw JSON in `SyncField.all`'s order (nil: absent or null).
    /// Only those members are built; the rest of the record is stepped over.
    static func synced(raw: UnsafeRawBufferPointer) -> [JSON?] {
        guard let found = try? JSONParser.members(of: raw, keys: syncedKeys), found.count == SyncField.all.count else { return SyncField.none }
        return found.map { $0 == .null ? nil : $0 }
    }

    /// HighLevel's names of the synced fields, as bytes, in `SyncField.all`'s order.
    private static let syncedKeys = SyncField.all.map { Array($0.highlevelKey.utf8) }

    @inline(__always)
    static func text(_ handle: OpaquePointer, _ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// A text column's bytes, valid until the next step (empty for NULL).
    @inline(__always)
    static func bytes(_ handle: OpaquePointer, _ column: Int32) -> UnsafeRawBufferPointer {
        guard let pointer = sqlite3_column_text(handle, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, column)))
    }

    @inline(__always)
    static func load64(_ blob: UnsafeRawPointer, at offset: Int) -> UInt64 {
        UInt64(littleEndian: blob.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Appends a record's digests: all of them, or with a mask one combined over its fields.
    @inline(__always)
    static func appendDigests(_ blob: UnsafeRawPointer, at offset: Int, mask: UInt32?, to digests: inout [UInt64]) {
        guard let mask else {
            for field in 0..<SyncDigest.fieldCount { digests.append(load64(blob, at: offset + field * 8)) }
            return
        }
        var combined = SyncDigest.Combined()
        for field in 0..<SyncDigest.fieldCount where mask & (1 << UInt32(field)) != 0 { combined.add(load64(blob, at: offset + field * 8)) }
        digests.append(combined.value)
    }
}

extension Database {
    /// Runs a query ending in `IN` for the keys and hands each row to `body`. The keys go in as
    /// one JSON array read by `json_each`, 50,000 at a time: SQLite sorts them once and seeks
    /// record after record in order (in lists of 500 parameters the same lookups took three
    /// times as long: each list is a statement of its own, sorted and planned again).
    /// `forEachRow` through SQLite's C API: the body reads columns from the statement's handle
    /// (`MirrorDatabase.text`, `.bytes`; valid until the next row), without a GRDB `Row` each.
    func forEachStatementRow<Key: DatabaseValueConvertible>(_ sql: String, keys: [Key], _ body: (OpaquePointer) throws -> Void) throws {
        guard !keys.isEmpty else { return }
        let statement = try cachedStatement(sql: "\(sql) (SELECT value FROM json_each(?))")
        for start in stride(from: 0, to: keys.count, by: Self.keysPerLookup) {
            try statement.setArguments([Self.jsonArray(keys[start..<min(start + Self.keysPerLookup, keys.count)])])
            try withExtendedLifetime(statement) {
                let handle = statement.sqliteStatement
                while try RawSQL.step(handle, in: self) { try body(handle) }
            }
        }
    }

    func forEachRow<Key: DatabaseValueConvertible>(_ sql: String, keys: [Key], _ body: (Row) throws -> Void) throws {
        guard !keys.isEmpty else { return }
        let statement = try cachedStatement(sql: "\(sql) (SELECT value FROM json_each(?))")
        for start in stride(from: 0, to: keys.count, by: Self.keysPerLookup) {
            let rows = try Row.fetchCursor(statement, arguments: [Self.jsonArray(keys[start..<min(start + Self.keysPerLookup, keys.count)])])
            while let row = try rows.next() { try body(row) }
        }
    }

    private static let keysPerLookup = 50_000

    /// Keys as a JSON array: integers as integers, text as strings (NULL matches nothing).
    private static func jsonArray<Key: DatabaseValueConvertible>(_ keys: ArraySlice<Key>) -> String {
        var text = "["
        text.reserveCapacity(keys.count * 12)
        for (offset, key) in keys.enumerated() {
            if offset > 0 { text += "," }
            switch key.databaseValue.storage {
            case .int64(let value): text += String(value)
            case .string(let string): text += JSON.string(string).canonicalText
            case .double(let value): text += JSON.number(value).canonicalText
            default: text += "null"
            }
        }
        return text + "]"
    }
}

extension MirrorDatabase {
    /// Forgets every stored sync digest, so the next plan reads and diffs every record in full
    /// (what a migration does when the comparison rules change; tests use it to check that the
    /// digests never change a plan's outcome).
    public func clearSyncDigests() throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE contacts SET sync_digests = NULL; UPDATE staged_rows SET sync_digests = NULL; DELETE FROM base_digests")
            // What a plan kept of its matching, and the imports' row hashes, come from digests.
            try db.execute(sql: "UPDATE imports SET row_hashes = NULL; DELETE FROM plan_state")
            try Self.stopChangeLogs(in: db)
        }
    }
}
