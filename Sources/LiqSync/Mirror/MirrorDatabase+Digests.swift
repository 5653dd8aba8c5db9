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
            let ids = try String.fetchAll(db, sql: "SELECT DISTINCT contact_id FROM base")
            try refreshBaseDigests(ids, in: db)
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

/// A match key (email key, phone key, id) as two independent 64-bit hashes: a million of them
/// fit in a dictionary without a string each, and two different keys share both halves with a
/// chance of 2⁻¹²⁸.
struct KeyHash: Hashable {
    var first: UInt64
    var second: UInt64

    init(_ bytes: UnsafeRawBufferPointer) {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x8422_2325_cbf2_9ce4 ^ UInt64(bytes.count)
        for byte in bytes {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b &+ UInt64(byte)) &* 0x9E37_79B9_7F4A_7C15
            b ^= b >> 29
        }
        first = a
        second = b
    }

    init(first: UInt64, second: UInt64) {
        self.first = first
        self.second = second
    }

    init(_ text: String) {
        var copy = text
        self = copy.withUTF8 { KeyHash(UnsafeRawBufferPointer($0)) }
    }

    func hash(into hasher: inout Hasher) { hasher.combine(first) }
}

/// An open-addressing table from `KeyHash` to a contact position. The key is already a good
/// hash, so slots come straight from its bits (a `Dictionary` would hash it again, which was a
/// tenth of a million-contact plan). Like the importer's `KeyTable`, but with 128-bit keys and
/// values that can be replaced.
struct PositionTable {
    private var keys: [KeyHash] = []
    private var values: [Int32] = []
    private var mask = 0
    private(set) var count = 0
    private static let empty = Int32.min

    var isEmpty: Bool { count == 0 }

    /// MurmurHash3's finaliser over both halves spreads the bits before the mask takes the low ones.
    private static func slot(_ key: KeyHash, _ mask: Int) -> Int {
        var h = key.first ^ key.second
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return Int(truncatingIfNeeded: h) & mask
    }

    mutating func reserveCapacity(_ capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        guard size > keys.count else { return }
        let old = zip(keys, values).filter { $0.1 != Self.empty }
        keys = Array(repeating: KeyHash(first: 0, second: 0), count: size)
        values = Array(repeating: Self.empty, count: size)
        mask = size - 1
        count = 0
        for (key, value) in old { self[key] = value }
    }

    subscript(key: KeyHash) -> Int32? {
        get {
            guard !keys.isEmpty else { return nil }
            var slot = Self.slot(key, mask)
            while values[slot] != Self.empty {
                if keys[slot] == key { return values[slot] }
                slot = (slot + 1) & mask
            }
            return nil
        }
        set {
            guard let newValue else { return }  // positions are never removed
            if (count + 1) * 2 > keys.count { reserveCapacity(max(16, count * 2)) }
            var slot = Self.slot(key, mask)
            while values[slot] != Self.empty {
                if keys[slot] == key {
                    values[slot] = newValue
                    return
                }
                slot = (slot + 1) & mask
            }
            keys[slot] = key
            values[slot] = newValue
            count += 1
        }
    }
}

/// Every contact's id, state and digests, in arrays indexed by position, with lookups by id,
/// email key and phone key through hashed keys (a million contacts take well under 200 MB).
struct ContactIndex {
    var ids: [String] = []
    var deleted: [Bool] = []
    /// The fields the plan compares, when every row speaks for the same ones: then each record
    /// keeps one digest combined over those fields (`width` 1) instead of one per field.
    var mask: UInt32?
    var width: Int { mask == nil ? SyncDigest.fieldCount : 1 }
    /// `width` digests per contact; `hasDigests` false where none are stored.
    var digests: [UInt64] = []
    var hasDigests: [Bool] = []
    /// `width` base digests per contact (`SyncDigest.none` where nothing is agreed).
    var baseDigests: [UInt64] = []
    /// By id: built by `indexIds` when a plan needs it.
    var byId = PositionTable()
    /// Live contacts by key; a key several contacts share maps to `shared` and lists them in `sharedEmail`/`sharedPhone`.
    var byEmail = PositionTable()
    var byPhone = PositionTable()
    var sharedEmail: [KeyHash: [Int32]] = [:]
    var sharedPhone: [KeyHash: [Int32]] = [:]
    /// The mirror's fingerprint (ids, dateUpdated, deletions), computed in the same pass.
    var fingerprint = ""

    static let shared: Int32 = -1

    var count: Int { ids.count }

    /// What a key finds among live contacts.
    enum Hit: Equatable {
        case none
        case one(Int32)
        case several([Int32])
    }

    func contacts(email key: KeyHash?) -> Hit { Self.lookup(key, byEmail, sharedEmail) }
    func contacts(phone key: KeyHash?) -> Hit { Self.lookup(key, byPhone, sharedPhone) }

    /// The position of a contact by id (after `indexIds`).
    func position(id: String) -> Int32? { byId[KeyHash(id)] }

    /// Builds the lookup by id, which links and HighLevel id columns need (most plans match by
    /// email and phone only, so it is not built by default).
    mutating func indexIds() {
        guard byId.isEmpty else { return }
        byId.reserveCapacity(ids.count)
        for (position, id) in ids.enumerated() { byId[KeyHash(id)] = Int32(position) }
    }

    private static func lookup(_ key: KeyHash?, _ single: PositionTable, _ many: [KeyHash: [Int32]]) -> Hit {
        guard let key, let index = single[key] else { return .none }
        return index == shared ? .several(many[key] ?? []) : .one(index)
    }

    static func insert(_ key: KeyHash, _ index: Int32, into single: inout PositionTable, shared many: inout [KeyHash: [Int32]]) {
        switch single[key] {
        case nil: single[key] = index
        case Self.shared?: many[key, default: []].append(index)
        case let first?:
            single[key] = Self.shared
            many[key] = [first, index]
        }
    }
}

/// A staged row's match keys (hashed) and digest, from its digest record (`SyncDigest.row`).
struct RowKeys {
    var rowId: Int64
    /// LocaliQ's id: short, so usually stored inside the string without an allocation.
    var sourceId: String?
    var emailKey: KeyHash?
    var phoneKey: KeyHash?
    /// Bit per `SyncField.all` index: the fields the row speaks for.
    var known: UInt32 = 0
    var flags: SyncDigest.RowFlags = []
    /// The digest combined over `known`, or nil when the row has no digest record.
    var combined: UInt64?

    var line: Int { Int(rowId & 0xFFFF_FFFF) }
    var importId: Int64 { rowId >> 32 }
}

/// The staged rows a plan reads.
struct RowTable {
    var rows: [RowKeys] = []
}

extension MirrorDatabase {
    /// Reads every contact's id, keys and digests, the base digests and the fingerprint in one
    /// read transaction, through covering indexes, without a string per key or timestamp.
    func contactIndex(mask: UInt32?) throws -> ContactIndex {
        try writer.read { db in
            var index = ContactIndex()
            index.mask = mask
            // An upper bound without counting (rowids grow with inserts).
            let total = min(try Int.fetchOne(db, sql: "SELECT max(rowid) FROM contacts") ?? 0, 50_000_000)
            let fields = SyncDigest.fieldCount
            let width = index.width
            index.ids.reserveCapacity(total)
            index.deleted.reserveCapacity(total)
            index.hasDigests.reserveCapacity(total)
            index.digests.reserveCapacity(total * width)
            index.byEmail.reserveCapacity(total)
            index.byPhone.reserveCapacity(total)
            var fingerprint = FingerprintHasher()
            let statement = try db.makeStatement(
                sql: "SELECT id, email_key, phone_key, deleted_at, date_updated, sync_digests FROM contacts INDEXED BY contacts_sync ORDER BY id")
            let handle = statement.sqliteStatement
            try withExtendedLifetime(statement) {
                while try Self.step(handle, in: db) {
                    let position = Int32(index.ids.count)
                    let id = Self.bytes(handle, 0)
                    let deleted = sqlite3_column_type(handle, 3) != SQLITE_NULL
                    fingerprint.add(id, Self.bytes(handle, 4), Self.bytes(handle, 3))
                    index.ids.append(String(decoding: id, as: UTF8.self))
                    index.deleted.append(deleted)
                    if !deleted {
                        if sqlite3_column_type(handle, 1) != SQLITE_NULL {
                            ContactIndex.insert(KeyHash(Self.bytes(handle, 1)), position, into: &index.byEmail, shared: &index.sharedEmail)
                        }
                        if sqlite3_column_type(handle, 2) != SQLITE_NULL {
                            ContactIndex.insert(KeyHash(Self.bytes(handle, 2)), position, into: &index.byPhone, shared: &index.sharedPhone)
                        }
                    }
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
            // Base digests in contact id order, merged with the contacts (also in id order).
            index.baseDigests = Array(repeating: SyncDigest.none, count: index.count * width)
            let baseStatement = try db.makeStatement(sql: "SELECT contact_id, digests FROM base_digests ORDER BY contact_id")
            let base = baseStatement.sqliteStatement
            var position = 0
            withExtendedLifetime(baseStatement) {
                while sqlite3_step(base) == SQLITE_ROW {
                    let id = Self.bytes(base, 0)
                    while position < index.count, index.ids[position].utf8.lexicographicallyPrecedes(id) { position += 1 }
                    guard position < index.count, index.ids[position].utf8.elementsEqual(id), sqlite3_column_bytes(base, 1) == fields * 8,
                        let blob = sqlite3_column_blob(base, 1)
                    else { continue }
                    var digests: [UInt64] = []
                    Self.appendDigests(blob, at: 0, mask: mask, to: &digests)
                    index.baseDigests.replaceSubrange(position * width..<(position + 1) * width, with: digests)
                }
            }
            return index
        }
    }

    /// Appends the keys and digests of an import's staged rows, in row order, read through a covering index.
    func rowDigests(importId: Int64, into table: inout RowTable) throws {
        try writer.read { db in
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
                while try Self.step(handle, in: db) {
                    var row = RowKeys(rowId: sqlite3_column_int64(handle, 0), sourceId: Self.text(handle, 1))
                    if sqlite3_column_bytes(handle, 2) == SyncDigest.rowRecordSize, let blob = sqlite3_column_blob(handle, 2) {
                        let header = Self.load64(blob, at: 0)
                        row.known = UInt32(truncatingIfNeeded: header)
                        row.flags = SyncDigest.RowFlags(rawValue: UInt32(truncatingIfNeeded: header >> 32))
                        row.combined = Self.load64(blob, at: 8)
                        if row.flags.contains(.emailKey) { row.emailKey = KeyHash(first: Self.load64(blob, at: 16), second: Self.load64(blob, at: 24)) }
                        if row.flags.contains(.phoneKey) { row.phoneKey = KeyHash(first: Self.load64(blob, at: 32), second: Self.load64(blob, at: 40)) }
                    }
                    table.rows.append(row)
                }
            }
        }
    }

    /// A digest of the mirror's contacts (id, dateUpdated, deletion) and their count: it changes
    /// whenever a pull brought something new, so `apply` can tell that a plan is out of date. The
    /// plan computes the same while reading its contact index.
    public func contactsFingerprint() throws -> (digest: String, count: Int) {
        try writer.read { db in
            var hasher = FingerprintHasher()
            var count = 0
            let statement = try db.makeStatement(sql: "SELECT id, date_updated, deleted_at FROM contacts INDEXED BY contacts_sync ORDER BY id")
            let handle = statement.sqliteStatement
            try withExtendedLifetime(statement) {
                while try Self.step(handle, in: db) {
                    hasher.add(Self.bytes(handle, 0), Self.bytes(handle, 1), Self.bytes(handle, 2))
                    count += 1
                }
            }
            return (hasher.hex, count)
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

    /// Steps a statement: true on a row, false when it is done; an SQLite error is thrown.
    @inline(__always)
    static func step(_ handle: OpaquePointer, in db: Database) throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
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
    private static func appendDigests(_ blob: UnsafeRawPointer, at offset: Int, mask: UInt32?, to digests: inout [UInt64]) {
        guard let mask else {
            for field in 0..<SyncDigest.fieldCount { digests.append(load64(blob, at: offset + field * 8)) }
            return
        }
        var combined = SyncDigest.Combined()
        for field in 0..<SyncDigest.fieldCount where mask & (1 << UInt32(field)) != 0 { combined.add(load64(blob, at: offset + field * 8)) }
        digests.append(combined.value)
    }
}

/// The contacts fingerprint: SHA-256 over "id \t dateUpdated \t deletedAt \n" lines in id order
/// (as `contactsFingerprint` computes it), fed from the column bytes in large blocks.
struct FingerprintHasher {
    private var hasher = SHA256()
    private var buffer: [UInt8] = []

    mutating func add(_ id: UnsafeRawBufferPointer, _ updated: UnsafeRawBufferPointer, _ deleted: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: id)
        buffer.append(9)
        buffer.append(contentsOf: updated)
        buffer.append(9)
        buffer.append(contentsOf: deleted)
        buffer.append(10)
        if buffer.count >= 1 << 16 { flush() }
    }

    private mutating func flush() {
        buffer.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        buffer.removeAll(keepingCapacity: true)
    }

    var hex: String {
        mutating get {
            flush()
            return FileDigest.hex(hasher.finalize())
        }
    }
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
