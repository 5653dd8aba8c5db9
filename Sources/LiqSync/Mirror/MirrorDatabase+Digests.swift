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
            let rows = try Row.fetchCursor(db, sql: "SELECT row_id, fields FROM staged_rows WHERE status = 'staged'")
            let setRow = try db.makeStatement(sql: "UPDATE staged_rows SET sync_digests = ? WHERE row_id = ?")
            while let row = try rows.next() {
                let text: String = row["fields"]
                guard let fields = (try? JSON.parse(Data(text.utf8)))?.object else { continue }
                try setRow.execute(arguments: [Data(SyncDigest.row(fields: fields)), row["row_id"] as Int64])
            }
            let ids = try String.fetchAll(db, sql: "SELECT DISTINCT contact_id FROM base")
            try refreshBaseDigests(ids, in: db)
            // Covering indexes: the plan reads these columns of every record without touching
            // the records' pages (raw JSON, cells), which are most of the file.
            try db.execute(
                sql: """
                    CREATE INDEX contacts_sync ON contacts(id, email_key, phone_key, deleted_at, date_updated, sync_digests);
                    CREATE INDEX staged_rows_sync ON staged_rows(row_id, source_id, email_key, phone_key, sync_digests) WHERE status = 'staged';
                    """)
        }
    }

    /// Recomputes the base digests of those contacts from their agreed values.
    static func refreshBaseDigests(_ contactIds: some Sequence<String>, in db: Database) throws {
        let read = try db.cachedStatement(sql: "SELECT field, value FROM base WHERE contact_id = ?")
        let write = try db.cachedStatement(sql: "INSERT OR REPLACE INTO base_digests (contact_id, digests) VALUES (?, ?)")
        let clear = try db.cachedStatement(sql: "DELETE FROM base_digests WHERE contact_id = ?")
        for id in contactIds {
            var values: [String: JSON] = [:]
            let rows = try Row.fetchCursor(read, arguments: [id])
            while let row = try rows.next() {
                let text: String = row[1]
                values[row[0]] = (try? JSON.parse(Data(text.utf8))) ?? .null
            }
            if values.isEmpty {
                try clear.execute(arguments: [id])
            } else {
                try write.execute(arguments: [id, Data(SyncDigest.base(values))])
            }
        }
    }
}

/// Every contact's match keys and digests, in arrays indexed by position (a million contacts
/// fit in well under 200 MB), with lookups by id, email key and phone key.
struct ContactIndex {
    var ids: [String] = []
    var emailKeys: [String?] = []
    var phoneKeys: [String?] = []
    var deleted: [Bool] = []
    /// `SyncDigest.fieldCount` digests per contact; `hasDigests` false where none are stored.
    var digests: [UInt64] = []
    var hasDigests: [Bool] = []
    /// Base digests per contact (`SyncDigest.none` where nothing is agreed).
    var baseDigests: [UInt64] = []
    var byId: [String: Int32] = [:]
    /// Live contacts by key; a key several contacts share maps to `shared` and lists them in `sharedEmail`/`sharedPhone`.
    var byEmail: [String: Int32] = [:]
    var byPhone: [String: Int32] = [:]
    var sharedEmail: [String: [Int32]] = [:]
    var sharedPhone: [String: [Int32]] = [:]
    /// The mirror's fingerprint (ids, dateUpdated, deletions), computed in the same pass.
    var fingerprint = ""

    static let shared: Int32 = -1

    var count: Int { ids.count }

    /// The live contacts a key names.
    func contacts(email key: String?) -> [Int32] { Self.lookup(key, byEmail, sharedEmail) }
    func contacts(phone key: String?) -> [Int32] { Self.lookup(key, byPhone, sharedPhone) }

    private static func lookup(_ key: String?, _ single: [String: Int32], _ many: [String: [Int32]]) -> [Int32] {
        guard let key, let index = single[key] else { return [] }
        return index == shared ? many[key] ?? [] : [index]
    }

    mutating func insert(key: String, index: Int32, into single: WritableKeyPath<ContactIndex, [String: Int32]>, shared many: WritableKeyPath<ContactIndex, [String: [Int32]]>) {
        switch self[keyPath: single][key] {
        case nil: self[keyPath: single][key] = index
        case Self.shared?: self[keyPath: many][key, default: []].append(index)
        case let first?:
            self[keyPath: single][key] = Self.shared
            self[keyPath: many][key] = [first, index]
        }
    }
}

/// A staged row's match keys and where its digests are in `RowTable.digests`.
struct RowKeys {
    var rowId: Int64
    var sourceId: String?
    var emailKey: String?
    var phoneKey: String?
    /// Bit per `SyncField.all` index: the row holds that field.
    var present: UInt32
    var flags: SyncDigest.RowFlags
    /// Offset of the row's digests, or -1 when it has none stored.
    var digestStart: Int

    var line: Int { Int(rowId & 0xFFFF_FFFF) }
    var importId: Int64 { rowId >> 32 }
}

/// The staged rows a plan reads, their digests in one flat array.
struct RowTable {
    var rows: [RowKeys] = []
    var digests: [UInt64] = []
}

extension MirrorDatabase {
    /// Reads every contact's keys and digests, the base digests and the fingerprint in one read
    /// transaction, through covering indexes.
    func contactIndex() throws -> ContactIndex {
        try writer.read { db in
            var index = ContactIndex()
            var hasher = SHA256Lines()
            let statement = try db.makeStatement(
                sql: "SELECT id, email_key, phone_key, deleted_at, date_updated, sync_digests FROM contacts INDEXED BY contacts_sync ORDER BY id")
            let handle = statement.sqliteStatement
            let fields = SyncDigest.fieldCount
            while true {
                let code = withExtendedLifetime(statement) { sqlite3_step(handle) }
                if code == SQLITE_DONE { break }
                guard code == SQLITE_ROW else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                }
                let position = Int32(index.ids.count)
                let id = Self.text(handle, 0) ?? ""
                let email = Self.text(handle, 1)
                let phone = Self.text(handle, 2)
                let deletedAt = Self.text(handle, 3)
                let updated = Self.text(handle, 4)
                hasher.add(id, updated ?? "", deletedAt ?? "")
                index.ids.append(id)
                index.emailKeys.append(email)
                index.phoneKeys.append(phone)
                index.deleted.append(deletedAt != nil)
                index.byId[id] = position
                if deletedAt == nil {
                    if let email { index.insert(key: email, index: position, into: \.byEmail, shared: \.sharedEmail) }
                    if let phone { index.insert(key: phone, index: position, into: \.byPhone, shared: \.sharedPhone) }
                }
                if sqlite3_column_bytes(handle, 5) == fields * 8, let blob = sqlite3_column_blob(handle, 5) {
                    Self.appendDigests(blob, count: fields, to: &index.digests)
                    index.hasDigests.append(true)
                } else {
                    index.digests.append(contentsOf: repeatElement(0, count: fields))
                    index.hasDigests.append(false)
                }
            }
            index.fingerprint = hasher.hex
            index.baseDigests = Array(repeating: SyncDigest.none, count: index.count * fields)
            let baseStatement = try db.makeStatement(sql: "SELECT contact_id, digests FROM base_digests")
            let base = baseStatement.sqliteStatement
            while withExtendedLifetime(baseStatement, { sqlite3_step(base) }) == SQLITE_ROW {
                guard let id = Self.text(base, 0), let position = index.byId[id], sqlite3_column_bytes(base, 1) == fields * 8,
                    let blob = sqlite3_column_blob(base, 1)
                else { continue }
                let start = Int(position) * fields
                for field in 0..<fields { index.baseDigests[start + field] = Self.load64(blob, at: field * 8) }
            }
            return index
        }
    }

    /// Appends the keys and digests of an import's staged rows, in row order, read through a covering index.
    func rowDigests(importId: Int64, into table: inout RowTable) throws {
        try writer.read { db in
            let statement = try db.makeStatement(
                sql: """
                    SELECT row_id, source_id, email_key, phone_key, sync_digests FROM staged_rows INDEXED BY staged_rows_sync
                    WHERE row_id BETWEEN ? AND ? AND status = 'staged' ORDER BY row_id
                    """)
            try statement.setArguments([importId << 32, importId << 32 | 0xFFFF_FFFF])
            let handle = statement.sqliteStatement
            let fields = SyncDigest.fieldCount
            while true {
                let code = withExtendedLifetime(statement) { sqlite3_step(handle) }
                if code == SQLITE_DONE { break }
                guard code == SQLITE_ROW else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                }
                var row = RowKeys(
                    rowId: sqlite3_column_int64(handle, 0), sourceId: Self.text(handle, 1), emailKey: Self.text(handle, 2), phoneKey: Self.text(handle, 3),
                    present: 0, flags: [], digestStart: -1)
                if sqlite3_column_bytes(handle, 4) == 8 + fields * 8, let blob = sqlite3_column_blob(handle, 4) {
                    let header = Self.load64(blob, at: 0)
                    row.present = UInt32(truncatingIfNeeded: header)
                    row.flags = SyncDigest.RowFlags(rawValue: UInt32(truncatingIfNeeded: header >> 32))
                    row.digestStart = table.digests.count
                    for field in 0..<fields { table.digests.append(Self.load64(blob, at: 8 + field * 8)) }
                }
                table.rows.append(row)
            }
        }
    }

    /// The plan's full view of chosen contacts (those whose pair differs somewhere).
    func planContacts(ids: [String]) throws -> [String: PlanContact] {
        try writer.read { db in
            var result: [String: PlanContact] = [:]
            for chunk in ids.chunked(500) {
                let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT id, email_key, phone_key, date_updated, deleted_at, raw FROM contacts WHERE id IN (\(placeholders))",
                    arguments: StatementArguments(Array(chunk)))
                while let row = try rows.next() {
                    let contact = Self.planContact(row)
                    result[contact.id] = contact
                }
            }
            return result
        }
    }

    /// The plan's full view of chosen staged rows.
    func planRows(rowIds: [Int64], known: (Int64, [String: JSON]) -> Set<String>) throws -> [Int64: PlanRow] {
        try writer.read { db in
            var result: [Int64: PlanRow] = [:]
            for chunk in rowIds.chunked(500) {
                let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT row_id, line, source_id, email_key, phone_key, fields FROM staged_rows WHERE row_id IN (\(placeholders))",
                    arguments: StatementArguments(Array(chunk)))
                while let row = try rows.next() {
                    let rowId: Int64 = row["row_id"]
                    let text: String = row["fields"]
                    let fields = (try? JSON.parse(Data(text.utf8)))?.object ?? [:]
                    result[rowId] = PlanRow(
                        importId: rowId >> 32, line: row["line"], sourceId: row["source_id"], emailKey: row["email_key"], phoneKey: row["phone_key"],
                        fields: fields, known: known(rowId >> 32, fields))
                }
            }
            return result
        }
    }

    /// The agreed values of chosen contacts.
    func baseValues(contactIds: [String]) throws -> [String: [String: JSON]] {
        try writer.read { db in
            var base: [String: [String: JSON]] = [:]
            for chunk in contactIds.chunked(500) {
                let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT contact_id, field, value FROM base WHERE contact_id IN (\(placeholders))", arguments: StatementArguments(Array(chunk)))
                while let row = try rows.next() {
                    let text: String = row[2]
                    base[row[0], default: [:]][row[1]] = (try? JSON.parse(Data(text.utf8))) ?? .null
                }
            }
            return base
        }
    }

    /// LocaliQ id → position in the contact index, for links to contacts the mirror holds.
    func linkIndex(_ contacts: ContactIndex) throws -> [String: Int32] {
        try writer.read { db in
            var links: [String: Int32] = [:]
            let statement = try db.makeStatement(sql: "SELECT localiq_id, contact_id FROM links")
            let handle = statement.sqliteStatement
            while withExtendedLifetime(statement, { sqlite3_step(handle) }) == SQLITE_ROW {
                guard let localiq = Self.text(handle, 0), let contact = Self.text(handle, 1), let position = contacts.byId[contact] else { continue }
                links[localiq] = position
            }
            return links
        }
    }

    static func planContact(_ row: Row) -> PlanContact {
        let text: String = row["raw"]
        let raw = (try? JSON.parse(Data(text.utf8))) ?? .null
        var values: [String: JSON] = [:]
        for field in SyncField.all {
            if let value = raw[field.highlevelKey], value != .null { values[field.name] = value }
        }
        return PlanContact(
            id: row["id"], emailKey: row["email_key"], phoneKey: row["phone_key"], dateUpdated: row["date_updated"],
            deleted: (row["deleted_at"] as String?) != nil, values: values)
    }

    @inline(__always)
    static func text(_ handle: OpaquePointer, _ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    @inline(__always)
    static func load64(_ blob: UnsafeRawPointer, at offset: Int) -> UInt64 {
        UInt64(littleEndian: blob.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    private static func appendDigests(_ blob: UnsafeRawPointer, count: Int, to digests: inout [UInt64]) {
        for field in 0..<count { digests.append(load64(blob, at: field * 8)) }
    }
}

/// The contacts fingerprint: SHA-256 over "id \t dateUpdated \t deletedAt \n" lines in id order.
struct SHA256Lines {
    private var hasher = SHA256()

    mutating func add(_ id: String, _ updated: String, _ deleted: String) {
        hasher.update(data: Data("\(id)\t\(updated)\t\(deleted)\n".utf8))
    }

    var hex: String { FileDigest.hex(hasher.finalize()) }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

extension MirrorDatabase {
    /// Forgets every stored sync digest, so the next plan reads and diffs every record in full
    /// (what a migration does when the comparison rules change; tests use it to check that the
    /// digests never change a plan's outcome).
    public func clearSyncDigests() throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE contacts SET sync_digests = NULL; UPDATE staged_rows SET sync_digests = NULL; DELETE FROM base_digests")
        }
    }
}
