import Foundation
import GRDB
import GRDBSQLite

// The incremental plan's reads: chosen rows, contacts, key holders, links and base digests, by key.
extension MirrorDatabase {
    /// The email and phone key indexes carry `deleted_at`, so that finding the live holders of a
    /// key reads the index alone: a plan looking up ten thousand keys read a scattered contact
    /// page for each hit to see whether it was deleted (half the time of that step).
    static func registerKeyIndexMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v20-live-key-indexes") { db in
            try db.execute(sql: "DROP INDEX IF EXISTS contacts_email_key; DROP INDEX IF EXISTS contacts_phone_key")
            // A bulk load under way puts its dropped indexes back from its list: the new ones go there.
            if var bulk: BulkLoad = try checkpoint(bulkLoadKey, in: db) {
                bulk.statements.removeAll { $0.contains("contacts_email_key") || $0.contains("contacts_phone_key") }
                bulk.statements += keyIndexes
                try saveCheckpoint(bulkLoadKey, bulk, in: db)
            } else {
                for statement in keyIndexes { try db.execute(sql: statement) }
            }
        }
    }

    private static let keyIndexes = [
        "CREATE INDEX contacts_email_key ON contacts(email_key, deleted_at)",
        "CREATE INDEX contacts_phone_key ON contacts(phone_key, deleted_at)",
    ]

    /// A staged row as the incremental plan reads it: its keys as text and, when asked for, what
    /// the diff needs of it (kept so that the row is read once).
    struct StoredRow: Sendable {
        var sourceId: String?
        var emailKey: String?
        var phoneKey: String?
        /// The row's `fields` JSON (nil: not asked for).
        var fields: [UInt8]?

        func planRow(rowId: Int64, known: KnownFields) -> PlanRow? {
            guard let fields else { return nil }
            return fields.withUnsafeBytes { json in
                PlanRow(
                    importId: rowId >> 32, line: Int(rowId & 0xFFFF_FFFF), sourceId: sourceId, emailKey: emailKey, phoneKey: phoneKey, json: json,
                    known: known)
            }
        }
    }

    /// Chosen staged rows' keys and digests (`RowKeys`), with their email and phone keys as text
    /// (and their fields, with `records`), in one read of each row.
    func rowKeys(rowIds: [Int64], records: Bool = false) throws -> (keys: [Int64: RowKeys], texts: [Int64: StoredRow]) {
        guard !rowIds.isEmpty else { return ([:], [:]) }
        let parts = try splitRead(rowIds) { part in try readRowKeys(rowIds: part, records: records) }
        return (merged(parts.map(\.keys)), merged(parts.map(\.texts)))
    }

    private func readRowKeys(rowIds: [Int64], records: Bool) throws -> (keys: [Int64: RowKeys], texts: [Int64: StoredRow]) {
        try writer.read { db in try Self.withScanCache(db) {
            var keys: [Int64: RowKeys] = [:]
            var texts: [Int64: StoredRow] = [:]
            keys.reserveCapacity(rowIds.count)
            texts.reserveCapacity(rowIds.count)
            try db.forEachStatementRow(
                "SELECT row_id, source_id, sync_digests, email_key, phone_key\(records ? ", fields" : "") FROM staged_rows WHERE status = 'staged' AND row_id IN",
                keys: rowIds
            ) { handle in
                let rowId = sqlite3_column_int64(handle, 0)
                if sqlite3_column_bytes(handle, 2) == SyncDigest.rowRecordSize, let record = sqlite3_column_blob(handle, 2) {
                    keys[rowId] = RowKeys(rowId: rowId, sourceId: Self.text(handle, 1), record: record)
                } else {
                    keys[rowId] = RowKeys(rowId: rowId, sourceId: Self.text(handle, 1))
                }
                texts[rowId] = StoredRow(
                    sourceId: Self.text(handle, 1), emailKey: Self.text(handle, 3), phoneKey: Self.text(handle, 4),
                    fields: records ? Array(Self.bytes(handle, 5)) : nil)
            }
            return (keys, texts)
        } }
    }

    /// Contacts by rowid: id, keys, time, deletion and digests (folded over `mask`), and with
    /// `records` their raw JSON (so that a contact the diff reads is read once).
    func incrementalFacts(rowids: [Int64], mask: UInt32?, records: Bool = false) throws -> [Int64: IncrementalTriage.Facts] {
        guard !rowids.isEmpty else { return [:] }
        let parts = try splitRead(rowids) { part in try readFacts(rowids: part, mask: mask, records: records) }
        return merged(parts)
    }

    private func readFacts(rowids: [Int64], mask: UInt32?, records: Bool) throws -> [Int64: IncrementalTriage.Facts] {
        try writer.read { db in try Self.withScanCache(db) {
            var result: [Int64: IncrementalTriage.Facts] = [:]
            result.reserveCapacity(rowids.count)
            try db.forEachStatementRow(
                "SELECT rowid, id, email_key, phone_key, date_updated, deleted_at, sync_digests\(records ? ", raw" : "") FROM contacts WHERE rowid IN", keys: rowids
            ) { handle in
                result[sqlite3_column_int64(handle, 0)] = IncrementalTriage.Facts(
                    id: Self.text(handle, 1) ?? "", emailKey: Self.text(handle, 2), phoneKey: Self.text(handle, 3), updated: Self.text(handle, 4),
                    deletedAt: Self.text(handle, 5), digests: Self.foldedDigests(handle, 6, mask: mask), raw: records ? Array(Self.bytes(handle, 7)) : nil)
            }
            return result
        } }
    }

    /// A digests column folded over `mask` (nil when it holds no digests).
    private static func foldedDigests(_ handle: OpaquePointer, _ column: Int32, mask: UInt32?) -> [UInt64]? {
        guard sqlite3_column_bytes(handle, column) == SyncDigest.fieldCount * 8, let blob = sqlite3_column_blob(handle, column) else { return nil }
        var folded: [UInt64] = []
        appendDigests(blob, at: 0, mask: mask, to: &folded)
        return folded
    }

    /// Rowids of contacts by id.
    func contactRowids(ids: [String]) throws -> [String: Int64] {
        guard !ids.isEmpty else { return [:] }
        return try writer.read { db in
            var result: [String: Int64] = [:]
            try db.forEachStatementRow("SELECT id, rowid FROM contacts WHERE id IN", keys: ids) { handle in
                if let id = Self.text(handle, 0) { result[id] = sqlite3_column_int64(handle, 1) }
            }
            return result
        }
    }

    /// Live contacts holding each email key, phone key and id (emails in two halves side by side,
    /// phones meanwhile: the emails are most of the lookups, each a descent of the key index).
    func liveHolders(emails: [String], phones: [String], ids: [String]) throws -> (email: [String: [Int64]], phone: [String: [Int64]], id: [String: Int64]) {
        let email = Background {
            let parts = try splitRead(Array(Set(emails))) { part in try holders(column: "email_key", keys: part) }
            return merged(parts)
        }
        var phone = try holders(column: "phone_key", keys: Array(Set(phones)))
        var byId: [String: Int64] = [:]
        for (id, rowids) in try holders(column: "id", keys: Array(Set(ids))) { byId[id] = rowids.first }
        for key in phone.keys { phone[key]?.sort() }
        var emailHolders = try email.wait()
        for key in emailHolders.keys { emailHolders[key]?.sort() }
        return (emailHolders, phone, byId)
    }

    /// Live contacts by the value of a key column (`email_key`, `phone_key` or `id`).
    private func holders(column: String, keys: [String]) throws -> [String: [Int64]] {
        guard !keys.isEmpty else { return [:] }
        return try writer.read { db in try Self.withScanCache(db) {
            var found: [String: [Int64]] = [:]
            try db.forEachStatementRow("SELECT \(column), rowid FROM contacts WHERE deleted_at IS NULL AND \(column) IN", keys: keys) { handle in
                if let key = Self.text(handle, 0) { found[key, default: []].append(sqlite3_column_int64(handle, 1)) }
            }
            return found
        } }
    }

    /// Every link: LocaliQ id → the linked contact's rowid and whether it is deleted.
    func linkedRowids() throws -> [String: (rowid: Int64, deleted: Bool)] {
        try writer.read { db in
            var links: [String: (rowid: Int64, deleted: Bool)] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT l.localiq_id, c.rowid, c.deleted_at IS NOT NULL FROM links l JOIN contacts c ON c.id = l.contact_id")
            while let row = try rows.next() { links[row[0]] = (row[1], row[2]) }
            return links
        }
    }

    /// Base digests of contacts by id, folded over `mask` like the full plan's.
    func foldedBaseDigests(ids: [String], mask: UInt32?) throws -> [String: [UInt64]] {
        guard !ids.isEmpty else { return [:] }
        let parts = try splitRead(Array(Set(ids))) { part in try readBaseDigests(ids: part, mask: mask) }
        return merged(parts)
    }

    private func readBaseDigests(ids: [String], mask: UInt32?) throws -> [String: [UInt64]] {
        try writer.read { db in try Self.withScanCache(db) {
            var result: [String: [UInt64]] = [:]
            try db.forEachStatementRow("SELECT contact_id, digests FROM base_digests WHERE contact_id IN", keys: ids) { handle in
                guard let id = Self.text(handle, 0), let folded = Self.foldedDigests(handle, 1, mask: mask) else { return }
                result[id] = folded
            }
            return result
        } }
    }
}

extension MirrorDatabase {
    /// Whether an import staged any activity rows (calls, forms, chats).
    func hasActivities(importId: Int64) throws -> Bool {
        try writer.read { db in try Self.hasActivities(importId: importId, in: db) }
    }

    static func hasActivities(importId: Int64, in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS(SELECT 1 FROM staged_rows INDEXED BY staged_rows_activity WHERE row_id BETWEEN ? AND ? AND activity IS NOT NULL)",
            arguments: [importId << 32, importId << 32 | 0xFFFF_FFFF]) ?? false
    }
}
