import Foundation
import Synchronization

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
    /// A key and its value side by side, so a probe touches one cache line, not two.
    private struct Slot {
        var key: KeyHash
        var value: Int32
    }

    private var slots: [Slot] = []
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
        guard size > slots.count else { return }
        let old = slots.filter { $0.value != Self.empty }
        slots = Array(repeating: Slot(key: KeyHash(first: 0, second: 0), value: Self.empty), count: size)
        mask = size - 1
        count = 0
        for entry in old { self[entry.key] = entry.value }
    }

    /// The slot holding `key`, or the empty slot where it would go (the table is never full).
    @inline(__always)
    private func find(_ key: KeyHash) -> Int {
        slots.withUnsafeBufferPointer { slots in
            var slot = Self.slot(key, mask)
            while slots[slot].value != Self.empty, slots[slot].key != key { slot = (slot + 1) & mask }
            return slot
        }
    }

    /// Stores `value` under a key not yet present and returns nil, or returns the value already
    /// there (left as it is) — one probe where a lookup and a store would take two.
    mutating func insertIfAbsent(_ key: KeyHash, _ value: Int32) -> Int32? {
        if (count + 1) * 2 > slots.count { reserveCapacity(max(16, count * 2)) }
        let slot = find(key)
        if slots[slot].value != Self.empty { return slots[slot].value }
        slots[slot] = Slot(key: key, value: value)
        count += 1
        return nil
    }

    /// The order in which to visit `keys` (nil ones left out) so that consecutive probes fall in
    /// the same region of the table: a stable counting sort on each slot's top bits. A million
    /// probes in input order miss the cache nearly every time (the table is tens of megabytes);
    /// in this order each region is probed while it is in cache. Equal keys keep their order.
    /// `key(i)` is the i-th of `count` keys (read in place: no array of a million keys is built).
    func regionOrder(count: Int, key: (Int) -> KeyHash?) -> [Int32] {
        let regionShift = Self.regionShift
        let regions = max(1, (mask + 1) >> regionShift)
        var counts = [Int](repeating: 0, count: regions + 1)
        var region = [Int32](repeating: -1, count: count)
        for offset in 0..<count {
            guard let key = key(offset) else { continue }
            let value = Self.slot(key, mask) >> regionShift
            region[offset] = Int32(value)
            counts[value + 1] += 1
        }
        for index in 1...regions { counts[index] += counts[index - 1] }
        var order = [Int32](repeating: 0, count: counts[regions])
        for offset in 0..<count where region[offset] >= 0 {
            let value = Int(region[offset])
            order[counts[value]] = Int32(offset)
            counts[value] += 1
        }
        return order
    }

    /// 4,096 slots (96 KiB) per region: one fits in a core's cache with room to spare.
    private static let regionShift = 12

    /// The stored value of each of `count` keys (`PositionTable.absent` for none and for nil
    /// keys), probed in region order.
    func values(count: Int, key: (Int) -> KeyHash?) -> [Int32] {
        var result = [Int32](repeating: Self.absent, count: count)
        guard !slots.isEmpty else { return result }
        for offset in regionOrder(count: count, key: key) {
            if let key = key(Int(offset)), let value = self[key] { result[Int(offset)] = value }
        }
        return result
    }

    /// What `values(of:)` gives for a key that is not there.
    static let absent = empty

    subscript(key: KeyHash) -> Int32? {
        get {
            guard !slots.isEmpty else { return nil }
            let value = slots[find(key)].value
            return value == Self.empty ? nil : value
        }
        set {
            guard let newValue else { return }  // positions are never removed
            if insertIfAbsent(key, newValue) != nil { slots[find(key)].value = newValue }
        }
    }
}

/// Contact ids in position order, end to end in one buffer: a million ids without a string
/// allocation each. A `String` is made only for the few ids a plan reads in full.
struct ContactIds {
    private var bytes: [UInt8] = []
    private var ends: [Int] = []

    var count: Int { ends.count }

    mutating func reserveCapacity(_ count: Int) {
        ends.reserveCapacity(count)
        bytes.reserveCapacity(count * 24)
    }

    mutating func append(_ id: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: id)
        ends.append(bytes.count)
    }

    subscript(position: Int) -> String {
        withBytes(position) { String(decoding: $0, as: UTF8.self) }
    }

    func withBytes<T>(_ position: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        let start = position == 0 ? 0 : ends[position - 1]
        return bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<ends[position]])) }
    }

    /// Whether the id at `position` is `id`, compared as bytes (no string is made).
    func equals(_ position: Int, _ id: String) -> Bool {
        withBytes(position) { mine in
            id.utf8.withContiguousStorageIfAvailable { theirs in
                guard mine.count == theirs.count, let left = mine.baseAddress, let right = theirs.baseAddress else { return mine.count == theirs.count }
                return memcmp(left, right, theirs.count) == 0
            } ?? (String(decoding: mine, as: UTF8.self) == id)
        }
    }

    /// Byte-wise order of the id at `position` against `other` (SQLite's order for text ids).
    func compare(_ position: Int, _ other: UnsafeRawBufferPointer) -> Int {
        withBytes(position) { mine in
            let common = min(mine.count, other.count)
            guard common > 0, let left = mine.baseAddress, let right = other.baseAddress else { return mine.count - other.count }
            let order = Int(memcmp(left, right, common))
            return order != 0 ? order : mine.count - other.count
        }
    }
}

/// The base's digests in contact id order, read beside the contacts and merged into the index.
struct BaseDigestList {
    var ids = ContactIds()
    /// `width` digests per id.
    var digests: [UInt64] = []
}

/// Every contact's id, state and digests, in arrays indexed by position, with lookups by id,
/// email key and phone key through hashed keys (a million contacts take well under 200 MB).
struct ContactIndex {
    var ids = ContactIds()
    /// Each contact's rowid, so the few read in full are found without the id index.
    var rowids: [Int64] = []
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
    /// The fingerprint's running sums (a plan state carries them forward).
    var fingerprintSums = FingerprintHasher()

    static let shared: Int32 = -1

    var count: Int { ids.count }

    /// What a key finds among live contacts.
    enum Hit: Equatable {
        case none
        case one(Int32)
        case several([Int32])
    }

    /// What each key finds, looked up in bulk (`hit(email:key:)` turns a value into a `Hit`).
    func emailValues(count: Int, key: (Int) -> KeyHash?) -> [Int32] { byEmail.values(count: count, key: key) }
    func phoneValues(count: Int, key: (Int) -> KeyHash?) -> [Int32] { byPhone.values(count: count, key: key) }

    func hit(email value: Int32, key: KeyHash?) -> Hit { Self.hit(value, key, sharedEmail) }
    func hit(phone value: Int32, key: KeyHash?) -> Hit { Self.hit(value, key, sharedPhone) }

    private static func hit(_ value: Int32, _ key: KeyHash?, _ many: [KeyHash: [Int32]]) -> Hit {
        guard let key, value != PositionTable.absent else { return .none }
        return value == shared ? .several(many[key] ?? []) : .one(value)
    }

    /// Indexes live contacts' keys (position by position, as collected while reading), each
    /// table on its own thread, in the table's region order.
    mutating func indexKeys(email: [KeyHash?], phone: [KeyHash?]) {
        let built = Mutex<[Int: (PositionTable, [KeyHash: [Int32]])]>([:])
        sideBySide(2) { part in
            let table = Self.keyTable(part == 0 ? email : phone)
            built.withLock { $0[part] = table }
        }
        let tables = built.withLock { $0 }
        (byEmail, sharedEmail) = tables[0] ?? (PositionTable(), [:])
        (byPhone, sharedPhone) = tables[1] ?? (PositionTable(), [:])
    }

    /// One key table: positions by key, and the keys several positions share.
    private static func keyTable(_ keys: [KeyHash?]) -> (PositionTable, [KeyHash: [Int32]]) {
        var single = PositionTable()
        var many: [KeyHash: [Int32]] = [:]
        single.reserveCapacity(keys.count)
        for offset in single.regionOrder(count: keys.count, key: { keys[$0] }) {
            if let key = keys[Int(offset)] { insert(key, offset, into: &single, shared: &many) }
        }
        return (single, many)
    }

    /// The position of a contact by id (after `indexIds`).
    func position(id: String) -> Int32? { byId[KeyHash(id)] }

    /// Builds the lookup by id, which links and HighLevel id columns need (most plans match by
    /// email and phone only, so it is not built by default).
    mutating func indexIds() {
        guard byId.isEmpty else { return }
        byId.reserveCapacity(ids.count)
        for position in 0..<ids.count { byId[ids.withBytes(position) { KeyHash($0) }] = Int32(position) }
    }

    /// Takes the base's digests (in id order, like the contacts) into `baseDigests`.
    mutating func attachBase(_ base: BaseDigestList) {
        baseDigests = Array(repeating: SyncDigest.none, count: count * width)
        var position = 0
        for entry in 0..<base.ids.count {
            let order = base.ids.withBytes(entry) { id in
                while position < count, ids.compare(position, id) < 0 { position += 1 }
                return position < count ? ids.compare(position, id) : 1
            }
            guard order == 0 else { continue }
            for offset in 0..<width { baseDigests[position * width + offset] = base.digests[entry * width + offset] }
        }
    }

    static func insert(_ key: KeyHash, _ index: Int32, into single: inout PositionTable, shared many: inout [KeyHash: [Int32]]) {
        switch single.insertIfAbsent(key, index) {
        case nil: break
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
    /// A HighLevel id column's value (read only for rows flagged as having one).
    var highlevelId: String?

    var line: Int { Int(rowId & 0xFFFF_FFFF) }
    var importId: Int64 { rowId >> 32 }

    /// A row's keys and digest from its digest record (`SyncDigest.row`; `record` is
    /// `SyncDigest.rowRecordSize` bytes).
    init(rowId: Int64, sourceId: String?, record: UnsafeRawPointer) {
        self.init(rowId: rowId, sourceId: sourceId)
        let header = MirrorDatabase.load64(record, at: 0)
        known = UInt32(truncatingIfNeeded: header)
        flags = SyncDigest.RowFlags(rawValue: UInt32(truncatingIfNeeded: header >> 32))
        combined = MirrorDatabase.load64(record, at: 8)
        if flags.contains(.emailKey) { emailKey = KeyHash(first: MirrorDatabase.load64(record, at: 16), second: MirrorDatabase.load64(record, at: 24)) }
        if flags.contains(.phoneKey) { phoneKey = KeyHash(first: MirrorDatabase.load64(record, at: 32), second: MirrorDatabase.load64(record, at: 40)) }
    }

    init(rowId: Int64, sourceId: String?) {
        self.rowId = rowId
        self.sourceId = sourceId
    }

    /// What matching reads from the row's digest record, hashed: two rows with the same hash
    /// match the same way (a plan state follows rows from one import to the next by it). A
    /// HighLevel id column's value is not in the record (such rows are flagged and matched again).
    var contentHash: UInt64 {
        Self.contentHash(
            sourceId: sourceId.map { KeyHash($0).first }, header: UInt64(known) | UInt64(flags.rawValue) << 32, combined: combined,
            email: emailKey ?? KeyHash(first: 0, second: 0), phone: phoneKey ?? KeyHash(first: 0, second: 0))
    }

    /// `contentHash` of a row as the import stages it: its LocaliQ id's bytes (nil: none) and
    /// its digest record, read in place.
    static func contentHash(sourceId: UnsafeRawBufferPointer?, record: UnsafeRawPointer) -> UInt64 {
        let header = MirrorDatabase.load64(record, at: 0)
        let flags = SyncDigest.RowFlags(rawValue: UInt32(truncatingIfNeeded: header >> 32))
        return contentHash(
            sourceId: sourceId.map { KeyHash($0).first }, header: header, combined: MirrorDatabase.load64(record, at: 8),
            email: flags.contains(.emailKey) ? KeyHash(first: MirrorDatabase.load64(record, at: 16), second: MirrorDatabase.load64(record, at: 24)) : KeyHash(first: 0, second: 0),
            phone: flags.contains(.phoneKey) ? KeyHash(first: MirrorDatabase.load64(record, at: 32), second: MirrorDatabase.load64(record, at: 40)) : KeyHash(first: 0, second: 0))
    }

    @inline(__always)
    private static func contentHash(sourceId: UInt64?, header: UInt64, combined: UInt64?, email: KeyHash, phone: KeyHash) -> UInt64 {
        var h = sourceId ?? 0x5bd1_e995
        @inline(__always) func mix(_ word: UInt64) {
            h = (h ^ word) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 31
        }
        mix(header)
        mix(combined ?? 0)
        mix(combined == nil ? 1 : 2)
        mix(email.first)
        mix(email.second)
        mix(phone.first)
        mix(phone.second)
        return h
    }
}

/// The staged rows a plan reads.
struct RowTable {
    var rows: [RowKeys] = []
}
