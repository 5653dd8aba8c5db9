import Foundation
import GRDB
import GRDBSQLite

/// What a plan's matching found, kept so the next plan can start from it and redo only what
/// changed since (docs/internals/incremental-plan.md).
struct PlanState {
    /// 4: with the unseen contacts' keys; 3: the rows as columns, in a file beside the mirror
    /// (`MirrorDatabase+PlanState.swift`); 2 (never released) held them row by row in the file,
    /// 1 as a blob in `plan_state`.
    static let version: Int64 = 4
    /// Versions read: a state of version 3 is one without the unseen contacts' keys.
    static let readable: ClosedRange<Int64> = 3...4
    /// Outcome codes of a row that matched no single contact.
    static let unmatched: Int64 = -1
    static let ambiguous: Int64 = -2

    /// A key of a matched row whose lookup did not find exactly the matched contact (none, or
    /// several): a contact taking or leaving that key changes the row's match.
    struct Watch: Equatable {
        var key: KeyHash
        var row: UInt64
    }

    var importId: Int64
    var mask: UInt32?
    var positions: MirrorDatabase.ChangeLogPositions
    var fingerprint: FingerprintHasher
    // The staged rows of the import, in row order, as columns (a million rows are written and
    // read as three runs of bytes, and the next state takes the triage's arrays as they are):
    /// `RowKeys.contentHash` of each row.
    var hashes: [UInt64]
    /// The matched contact's rowid, `unmatched` or `ambiguous`.
    var contacts: [Int64]
    /// `quietFlag` (the pair needed nothing: digests agree) and `oneToOneFlag` (the contact
    /// matched this row and no other).
    var flags: [UInt8]
    static let quietFlag: UInt8 = 1
    static let oneToOneFlag: UInt8 = 2
    var watches: [Watch]
    /// Ambiguous rows' candidates (contact rowids), by row hash.
    var candidates: [UInt64: [Int64]]
    /// Contacts no row speaks for, by rowid, in order.
    var unseen: [Int64]
    /// What the plan knew of them, in the same order (or empty: nothing known), enough to name
    /// one in a report line. While such a contact is unchanged (not in the contact log), the next
    /// plan takes it from here instead of reading it: a workspace with many contacts in no
    /// LocaliQ export reports them all every night.
    var unseenKeys: [UnseenKeys?]

    /// A contact no row speaks for, as a report line names it.
    struct UnseenKeys: Equatable {
        var id: String
        var emailKey: String?
        var phoneKey: String?
        var deleted: Bool
    }

    /// The watch key of a HighLevel id column's value (apart from email and phone keys).
    static func idKey(_ id: String) -> KeyHash { KeyHash("id\u{0}" + id) }

    var rowCount: Int { hashes.count }

    /// Where `contact` is in `unseen` (sorted), if there.
    func unseenPosition(_ contact: Int64) -> Int? {
        var (low, high) = (0, unseen.count)
        while low < high {
            let middle = (low + high) / 2
            if unseen[middle] < contact { low = middle + 1 } else { high = middle }
        }
        return low < unseen.count && unseen[low] == contact ? low : nil
    }

    /// What the state knew of `contact`, no row speaking for it.
    func unseenKeys(of contact: Int64) -> UnseenKeys? {
        guard !unseenKeys.isEmpty, let position = unseenPosition(contact) else { return nil }
        return unseenKeys(at: position)
    }

    /// What the state knew of the contact at `position` in `unseen`.
    func unseenKeys(at position: Int) -> UnseenKeys? { position < unseenKeys.count ? unseenKeys[position] : nil }
    func quiet(_ row: Int) -> Bool { flags[row] & Self.quietFlag != 0 }
    /// Whether a quiet row says its contact had a base equal to it: with a mask of some fields,
    /// a quiet pair compared folded base digests, which are never `none` when a base holds
    /// every one of those fields. (Rows speaking for no field are quiet with no base at all.)
    var quietMeansAgreed: Bool { (mask ?? 0) != 0 }
    func oneToOne(_ row: Int) -> Bool { flags[row] & Self.oneToOneFlag != 0 }

    mutating func setQuiet(_ row: Int, _ quiet: Bool) {
        flags[row] = quiet ? flags[row] | Self.quietFlag : flags[row] & ~Self.quietFlag
    }

    static func flags(quiet: Bool, oneToOne: Bool) -> UInt8 { (quiet ? quietFlag : 0) | (oneToOne ? oneToOneFlag : 0) }
    static func isQuiet(_ flags: UInt8) -> Bool { flags & quietFlag != 0 }
    static func isOneToOne(_ flags: UInt8) -> Bool { flags & oneToOneFlag != 0 }

    // MARK: Binary form

    /// The binary form, handed to `sink` in runs of bytes (the row columns as they are in
    /// memory: no copy of a million rows is made).
    func encode(_ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var head = ByteWriter(capacity: 80)
        head.int(importId)
        head.int(mask.map { Int64($0) } ?? -1)
        head.int(positions.contacts)
        head.int(positions.base)
        head.int(positions.links)
        head.word(fingerprint.first)
        head.word(fingerprint.second)
        head.int(Int64(fingerprint.count))
        head.int(Int64(rowCount))
        try head.bytes.withUnsafeBytes(sink)
        try Self.littleEndian(hashes, sink)
        try Self.littleEndian(contacts, sink)
        try flags.withUnsafeBytes(sink)
        var tail = ByteWriter(capacity: 24 + watches.count * 24 + unseen.count * 8 + candidates.count * 32)
        tail.int(Int64(watches.count))
        for watch in watches {
            tail.word(watch.key.first)
            tail.word(watch.key.second)
            tail.word(watch.row)
        }
        tail.int(Int64(candidates.count))
        for (row, contacts) in candidates.sorted(by: { $0.key < $1.key }) {
            tail.word(row)
            tail.int(Int64(contacts.count))
            for contact in contacts { tail.int(contact) }
        }
        tail.int(Int64(unseen.count))
        for contact in unseen { tail.int(contact) }
        try tail.bytes.withUnsafeBytes(sink)
        try Self.encoded(unseenKeys).withUnsafeBytes(sink)
    }

    /// The unseen contacts' keys: their count, then per contact 0 (not known), or 1 (2: deleted)
    /// and its id, email and phone keys, each as a length (-1: none) and its UTF-8 bytes. Sized
    /// first and stored in place: appended a word at a time, ten thousand took 6 ms.
    private static func encoded(_ keys: [UnseenKeys?]) -> [UInt8] {
        func length(_ text: String?) -> Int { 8 + (text?.utf8.count ?? 0) }
        let size = keys.reduce(8) { size, entry in size + 8 + (entry.map { length($0.id) + length($0.emailKey) + length($0.phoneKey) } ?? 0) }
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var offset = 0
            func int(_ value: Int64) {
                raw.storeBytes(of: value.littleEndian, toByteOffset: offset, as: Int64.self)
                offset += 8
            }
            func text(_ value: String?) {
                guard var value else { return int(-1) }
                value.withUTF8 { utf8 in
                    int(Int64(utf8.count))
                    UnsafeMutableRawBufferPointer(rebasing: raw[offset..<(offset + utf8.count)]).copyMemory(from: UnsafeRawBufferPointer(utf8))
                    offset += utf8.count
                }
            }
            int(Int64(keys.count))
            for entry in keys {
                guard let entry else {
                    int(0)
                    continue
                }
                int(entry.deleted ? 2 : 1)
                text(entry.id)
                text(entry.emailKey)
                text(entry.phoneKey)
            }
            initialized = offset
        }
    }

    private static func littleEndian<Word: FixedWidthInteger>(_ words: [Word], _ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        #if _endian(little)
            try words.withUnsafeBytes(sink)
        #else
            try words.map(\.littleEndian).withUnsafeBytes(sink)
        #endif
    }

    private static func words<Word: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, count: Int) -> [Word] {
        [Word](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let target = buffer.baseAddress, let source = bytes.baseAddress {
                UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: count * MemoryLayout<Word>.size)
            }
            #if !_endian(little)
                for position in 0..<count { buffer[position] = Word(littleEndian: buffer[position]) }
            #endif
            initialized = count
        }
    }

    /// Reads the binary form of `version` back; nil when it is cut short or otherwise not one.
    init?(encoded bytes: UnsafeRawBufferPointer, version: Int64 = Self.version) {
        var input = ByteReader(bytes)
        guard let importId = input.int(), let mask = input.int(), let contacts = input.int(), let base = input.int(), let links = input.int(),
            let first = input.word(), let second = input.word(), let count = input.int(), let rowCount = input.count(of: 17),
            let hashBytes = input.take(rowCount * 8), let contactBytes = input.take(rowCount * 8), let flagBytes = input.take(rowCount)
        else { return nil }
        self.importId = importId
        self.mask = mask < 0 ? nil : UInt32(truncatingIfNeeded: mask)
        positions = MirrorDatabase.ChangeLogPositions(contacts: contacts, base: base, links: links)
        fingerprint = FingerprintHasher(first: first, second: second, count: Int(count))
        hashes = Self.words(hashBytes, count: rowCount)
        self.contacts = Self.words(contactBytes, count: rowCount)
        flags = Array(flagBytes)
        guard let watchCount = input.count(of: 24) else { return nil }
        watches = []
        watches.reserveCapacity(watchCount)
        for _ in 0..<watchCount {
            guard let a = input.word(), let b = input.word(), let row = input.word() else { return nil }
            watches.append(Watch(key: KeyHash(first: a, second: b), row: row))
        }
        guard let candidateCount = input.count(of: 16) else { return nil }
        candidates = [:]
        for _ in 0..<candidateCount {
            guard let row = input.word(), let listed = input.count(of: 8) else { return nil }
            var contacts: [Int64] = []
            for _ in 0..<listed {
                guard let contact = input.int() else { return nil }
                contacts.append(contact)
            }
            candidates[row] = contacts
        }
        guard let unseenCount = input.count(of: 8) else { return nil }
        unseen = []
        unseen.reserveCapacity(unseenCount)
        for _ in 0..<unseenCount {
            guard let contact = input.int() else { return nil }
            unseen.append(contact)
        }
        unseenKeys = []
        guard let keyedCount = version < 4 ? 0 : input.count(of: 8), keyedCount == 0 || keyedCount == unseen.count else { return nil }
        unseenKeys.reserveCapacity(keyedCount)
        for _ in 0..<keyedCount {
            // 0: not known; 1 or 2 (deleted): the id, email and phone keys follow.
            guard let known = input.int() else { return nil }
            guard known != 0 else {
                unseenKeys.append(nil)
                continue
            }
            guard let idText = input.text(), let id = idText, let email = input.text(), let phone = input.text() else { return nil }
            unseenKeys.append(UnseenKeys(id: id, emailKey: email, phoneKey: phone, deleted: known == 2))
        }
        guard input.atEnd else { return nil }
    }

    init(
        importId: Int64, mask: UInt32?, positions: MirrorDatabase.ChangeLogPositions, fingerprint: FingerprintHasher, hashes: [UInt64],
        contacts: [Int64], flags: [UInt8], watches: [Watch], candidates: [UInt64: [Int64]], unseen: [Int64], unseenKeys: [UnseenKeys?] = []
    ) {
        self.importId = importId
        self.mask = mask
        self.positions = positions
        self.fingerprint = fingerprint
        self.hashes = hashes
        self.contacts = contacts
        self.flags = flags
        self.watches = watches
        self.candidates = candidates
        self.unseen = unseen
        self.unseenKeys = unseenKeys
    }
}

/// Little-endian words appended to a byte array.
private struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func word(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func int(_ value: Int64) { word(UInt64(bitPattern: value)) }
}

private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { offset == bytes.count }

    mutating func word() -> UInt64? {
        guard offset + 8 <= bytes.count else { return nil }
        let value = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        offset += 8
        return value
    }

    mutating func int() -> Int64? { word().map { Int64(bitPattern: $0) } }

    /// A text as `PlanState.encoded` writes it: `.some(nil)` for none, nil when cut short.
    mutating func text() -> String?? {
        guard let length = int() else { return nil }
        if length == -1 { return .some(nil) }
        guard length >= 0, length <= bytes.count - offset, let utf8 = take(Int(length)) else { return nil }
        return .some(String(decoding: utf8, as: UTF8.self))
    }

    /// The next `count` bytes.
    mutating func take(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, offset + count <= bytes.count else { return nil }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    /// A count of entries of at least `size` bytes each, checked against what is left.
    mutating func count(of size: Int) -> Int? {
        guard let value = int(), value >= 0, value <= (bytes.count - offset) / size else { return nil }
        return Int(value)
    }
}

/// The content hash (`RowKeys.contentHash`) of each staged row of an import, in line order,
/// kept with the import: a plan tells which rows changed since the import before from these,
/// without reading the rows.
public struct RowHashes: Sendable, Equatable {
    /// Lines, with `flagged` set on rows carrying a HighLevel id column (always matched again).
    private(set) var lines: [UInt32] = []
    private(set) var hashes: [UInt64] = []
    static let flagged: UInt32 = 1 << 31

    public init() {}

    var count: Int { hashes.count }

    mutating func append(line: Int, hash: UInt64, highlevelId: Bool) {
        lines.append(UInt32(truncatingIfNeeded: line) & ~Self.flagged | (highlevelId ? Self.flagged : 0))
        hashes.append(hash)
    }

    mutating func append(contentsOf other: RowHashes) {
        lines += other.lines
        hashes += other.hashes
    }

    func line(_ position: Int) -> Int { Int(lines[position] & ~Self.flagged) }
    func hasHighLevelId(_ position: Int) -> Bool { lines[position] & Self.flagged != 0 }

    /// After duplicates in the file were merged: their lines are no longer staged, and each
    /// survivor's hash is that of its merged record.
    mutating func merge(duplicates: Set<Int>, survivors: [Int: (hash: UInt64, highlevelId: Bool)]) {
        guard !duplicates.isEmpty || !survivors.isEmpty else { return }
        var kept = RowHashes()
        for position in hashes.indices where !duplicates.contains(line(position)) {
            if let survivor = survivors[line(position)] {
                kept.append(line: line(position), hash: survivor.hash, highlevelId: survivor.highlevelId)
            } else {
                kept.lines.append(lines[position])
                kept.hashes.append(hashes[position])
            }
        }
        self = kept
    }

    var encoded: Data {
        var data = Data(count: count * 12)
        data.withUnsafeMutableBytes { raw in
            for position in hashes.indices {
                raw.storeBytes(of: lines[position].littleEndian, toByteOffset: position * 12, as: UInt32.self)
                raw.storeBytes(of: hashes[position].littleEndian, toByteOffset: position * 12 + 4, as: UInt64.self)
            }
        }
        return data
    }

    init?(encoded raw: UnsafeRawBufferPointer) {
        guard raw.count % 12 == 0 else { return nil }
        let count = raw.count / 12
        lines = [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for position in 0..<count { buffer[position] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: position * 12, as: UInt32.self)) }
            initialized = count
        }
        hashes = [UInt64](unsafeUninitializedCapacity: count) { buffer, initialized in
            for position in 0..<count { buffer[position] = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: position * 12 + 4, as: UInt64.self)) }
            initialized = count
        }
    }
}

extension MirrorDatabase {
    /// An import's row hashes, if it kept them.
    func rowHashes(importId: Int64) throws -> RowHashes? {
        try writer.read { db in
            // Read in place from SQLite's copy of the blob: no copy of it is made.
            let statement = try db.makeStatement(sql: "SELECT row_hashes FROM imports WHERE id = ?")
            return try withExtendedLifetime(statement) {
                let handle = statement.sqliteStatement
                guard sqlite3_bind_int64(handle, 1, importId) == SQLITE_OK, try RawSQL.step(handle, in: db),
                    sqlite3_column_type(handle, 0) != SQLITE_NULL
                else { return nil }
                // An empty blob (an import of no rows) comes back as a null pointer.
                let blob = sqlite3_column_blob(handle, 0)
                return RowHashes(encoded: UnsafeRawBufferPointer(start: blob, count: blob == nil ? 0 : Int(sqlite3_column_bytes(handle, 0))))
            }
        }
    }
}
