import Foundation
import GRDB
import GRDBSQLite

// The incremental plan's reads: chosen rows, contacts, key holders, links and base digests, by key.
extension MirrorDatabase {
    /// Chosen staged rows' keys and digests (`RowKeys`), with their email and phone keys as text,
    /// in one read of each row.
    func rowKeys(rowIds: [Int64]) throws -> (keys: [Int64: RowKeys], texts: [Int64: (emailKey: String?, phoneKey: String?)]) {
        guard !rowIds.isEmpty else { return ([:], [:]) }
        return try writer.read { db in try Self.withScanCache(db) {
            var keys: [Int64: RowKeys] = [:]
            var texts: [Int64: (emailKey: String?, phoneKey: String?)] = [:]
            keys.reserveCapacity(rowIds.count)
            texts.reserveCapacity(rowIds.count)
            try db.forEachStatementRow(
                "SELECT row_id, source_id, sync_digests, email_key, phone_key FROM staged_rows WHERE status = 'staged' AND row_id IN", keys: rowIds
            ) { handle in
                let rowId = sqlite3_column_int64(handle, 0)
                if sqlite3_column_bytes(handle, 2) == SyncDigest.rowRecordSize, let record = sqlite3_column_blob(handle, 2) {
                    keys[rowId] = RowKeys(rowId: rowId, sourceId: Self.text(handle, 1), record: record)
                } else {
                    keys[rowId] = RowKeys(rowId: rowId, sourceId: Self.text(handle, 1))
                }
                texts[rowId] = (Self.text(handle, 3), Self.text(handle, 4))
            }
            return (keys, texts)
        } }
    }

    /// Contacts by rowid: id, keys, time, deletion and digests (folded over `mask`).
    func incrementalFacts(rowids: [Int64], mask: UInt32?) throws -> [Int64: IncrementalTriage.Facts] {
        guard !rowids.isEmpty else { return [:] }
        return try writer.read { db in try Self.withScanCache(db) {
            var result: [Int64: IncrementalTriage.Facts] = [:]
            try db.forEachStatementRow("SELECT rowid, id, email_key, phone_key, date_updated, deleted_at, sync_digests FROM contacts WHERE rowid IN", keys: rowids) {
                handle in
                var digests: [UInt64]?
                if sqlite3_column_bytes(handle, 6) == SyncDigest.fieldCount * 8, let blob = sqlite3_column_blob(handle, 6) {
                    var folded: [UInt64] = []
                    Self.appendDigests(blob, at: 0, mask: mask, to: &folded)
                    digests = folded
                }
                result[sqlite3_column_int64(handle, 0)] = IncrementalTriage.Facts(
                    id: Self.text(handle, 1) ?? "", emailKey: Self.text(handle, 2), phoneKey: Self.text(handle, 3), updated: Self.text(handle, 4),
                    deletedAt: Self.text(handle, 5), digests: digests)
            }
            return result
        } }
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

    /// Live contacts holding each email key, phone key and id.
    func liveHolders(emails: [String], phones: [String], ids: [String]) throws -> (email: [String: [Int64]], phone: [String: [Int64]], id: [String: Int64]) {
        try writer.read { db in try Self.withScanCache(db) {
            var email: [String: [Int64]] = [:]
            var phone: [String: [Int64]] = [:]
            var byId: [String: Int64] = [:]
            try db.forEachStatementRow("SELECT email_key, rowid FROM contacts WHERE deleted_at IS NULL AND email_key IN", keys: Array(Set(emails))) { handle in
                if let key = Self.text(handle, 0) { email[key, default: []].append(sqlite3_column_int64(handle, 1)) }
            }
            try db.forEachStatementRow("SELECT phone_key, rowid FROM contacts WHERE deleted_at IS NULL AND phone_key IN", keys: Array(Set(phones))) { handle in
                if let key = Self.text(handle, 0) { phone[key, default: []].append(sqlite3_column_int64(handle, 1)) }
            }
            try db.forEachStatementRow("SELECT id, rowid FROM contacts WHERE deleted_at IS NULL AND id IN", keys: Array(Set(ids))) { handle in
                if let id = Self.text(handle, 0) { byId[id] = sqlite3_column_int64(handle, 1) }
            }
            for key in email.keys { email[key]?.sort() }
            for key in phone.keys { phone[key]?.sort() }
            return (email, phone, byId)
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
        return try writer.read { db in
            var result: [String: [UInt64]] = [:]
            try db.forEachStatementRow("SELECT contact_id, digests FROM base_digests WHERE contact_id IN", keys: Array(Set(ids))) { handle in
                guard let id = Self.text(handle, 0), sqlite3_column_bytes(handle, 1) == SyncDigest.fieldCount * 8, let blob = sqlite3_column_blob(handle, 1)
                else { return }
                var folded: [UInt64] = []
                Self.appendDigests(blob, at: 0, mask: mask, to: &folded)
                result[id] = folded
            }
            return result
        }
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
