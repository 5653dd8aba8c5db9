import Foundation
import GRDB
import GRDBSQLite

/// What a plan's matching found, kept so the next plan can start from it and redo only what
/// changed since (docs/internals/incremental-plan.md).
struct PlanState {
    /// 2: kept in a file beside the mirror (`PlanStateStore`); 1 was a blob in `plan_state`.
    static let version: Int64 = 2
    /// Outcome codes of a row that matched no single contact.
    static let unmatched: Int64 = -1
    static let ambiguous: Int64 = -2

    /// One staged row of the import, in row order.
    struct Row: Equatable {
        /// `RowKeys.contentHash`.
        var hash: UInt64
        /// The matched contact's rowid, `unmatched` or `ambiguous`.
        var contact: Int64
        /// The pair needed nothing (digests agree).
        var quiet: Bool
        /// The contact matched this row and no other.
        var oneToOne: Bool
    }

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
    var rows: [Row]
    var watches: [Watch]
    /// Ambiguous rows' candidates (contact rowids), by row hash.
    var candidates: [UInt64: [Int64]]
    /// Contacts no row speaks for, by rowid.
    var unseen: [Int64]

    /// The watch key of a HighLevel id column's value (apart from email and phone keys).
    static func idKey(_ id: String) -> KeyHash { KeyHash("id\u{0}" + id) }

    // MARK: Binary form

    var encoded: [UInt8] {
        var out = ByteWriter(capacity: 80 + rows.count * 17 + watches.count * 24 + unseen.count * 8 + candidates.count * 32)
        out.int(importId)
        out.int(mask.map { Int64($0) } ?? -1)
        out.int(positions.contacts)
        out.int(positions.base)
        out.int(positions.links)
        out.word(fingerprint.first)
        out.word(fingerprint.second)
        out.int(Int64(fingerprint.count))
        out.int(Int64(rows.count))
        out.reserve(rows.count * 17) { raw in
            for (position, row) in rows.enumerated() {
                raw.storeBytes(of: row.hash.littleEndian, toByteOffset: position * 17, as: UInt64.self)
                raw.storeBytes(of: UInt64(bitPattern: row.contact).littleEndian, toByteOffset: position * 17 + 8, as: UInt64.self)
                raw.storeBytes(of: (row.quiet ? 1 : 0) | (row.oneToOne ? 2 : 0), toByteOffset: position * 17 + 16, as: UInt8.self)
            }
        }
        out.int(Int64(watches.count))
        for watch in watches {
            out.word(watch.key.first)
            out.word(watch.key.second)
            out.word(watch.row)
        }
        out.int(Int64(candidates.count))
        for (row, contacts) in candidates.sorted(by: { $0.key < $1.key }) {
            out.word(row)
            out.int(Int64(contacts.count))
            for contact in contacts { out.int(contact) }
        }
        out.int(Int64(unseen.count))
        for contact in unseen { out.int(contact) }
        return out.bytes
    }

    /// Reads the binary form back; nil when it is cut short or otherwise not one.
    init?(encoded bytes: UnsafeRawBufferPointer) {
        var input = ByteReader(bytes)
        guard let importId = input.int(), let mask = input.int(), let contacts = input.int(), let base = input.int(), let links = input.int(),
            let first = input.word(), let second = input.word(), let count = input.int(), let rowCount = input.count(of: 17),
            let rowBytes = input.take(rowCount * 17)
        else { return nil }
        self.importId = importId
        self.mask = mask < 0 ? nil : UInt32(truncatingIfNeeded: mask)
        positions = MirrorDatabase.ChangeLogPositions(contacts: contacts, base: base, links: links)
        fingerprint = FingerprintHasher(first: first, second: second, count: Int(count))
        rows = (0..<rowCount).map { position in
            let flags = rowBytes.load(fromByteOffset: position * 17 + 16, as: UInt8.self)
            return Row(
                hash: UInt64(littleEndian: rowBytes.loadUnaligned(fromByteOffset: position * 17, as: UInt64.self)),
                contact: Int64(bitPattern: UInt64(littleEndian: rowBytes.loadUnaligned(fromByteOffset: position * 17 + 8, as: UInt64.self))),
                quiet: flags & 1 != 0, oneToOne: flags & 2 != 0)
        }
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
        guard input.atEnd else { return nil }
    }

    init(
        importId: Int64, mask: UInt32?, positions: MirrorDatabase.ChangeLogPositions, fingerprint: FingerprintHasher, rows: [Row], watches: [Watch],
        candidates: [UInt64: [Int64]], unseen: [Int64]
    ) {
        self.importId = importId
        self.mask = mask
        self.positions = positions
        self.fingerprint = fingerprint
        self.rows = rows
        self.watches = watches
        self.candidates = candidates
        self.unseen = unseen
    }
}

/// Little-endian words appended to a byte array; runs of fixed-size entries written in place.
private struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func word(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func int(_ value: Int64) { word(UInt64(bitPattern: value)) }

    /// Appends `count` bytes written by `body`.
    mutating func reserve(_ count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: count))
        bytes.withUnsafeMutableBytes { body(UnsafeMutableRawBufferPointer(rebasing: $0[start..<(start + count)])) }
    }
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
