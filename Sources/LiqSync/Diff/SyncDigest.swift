import Foundation

/// Per-field digests of the synced values, kept beside each contact, staged row and base so a
/// plan can tell, without reading either record, that a linked pair needs nothing: both sides
/// and the base hold the same compared value in every field the row speaks for. Only pairs that
/// differ somewhere are read and diffed in full, which is what makes a plan over a million
/// records with a few percent of changes fast.
///
/// A digest is FNV-1a 64 of the compared value's canonical JSON (`SyncField.comparable`), so two
/// digests are equal exactly when the plan's own comparison would find the values equal (bar a
/// 2⁻⁶⁴ collision). If the comparison rules ever change, a migration must reset the stored
/// digests (set them NULL): a record without digests is always diffed in full, never skipped.
public enum SyncDigest {
    /// Fields in `SyncField.all` order.
    static let fieldCount = SyncField.all.count

    /// "No agreed value" in a base digest: never equal to a value's digest.
    static let none: UInt64 = 0

    /// The digest of an empty (nil) compared value.
    static let empty: UInt64 = fnv(Array("\u{0}empty".utf8))

    /// Flags of a staged row's digest.
    struct RowFlags: OptionSet {
        let rawValue: UInt32
        /// The row marks its record archived (`archived` field).
        static let archived = RowFlags(rawValue: 1)
        /// The row carries a HighLevel id column, which matching reads before email and phone.
        static let highlevelId = RowFlags(rawValue: 2)
        /// The record holds a hashed email key / phone key.
        static let emailKey = RowFlags(rawValue: 4)
        static let phoneKey = RowFlags(rawValue: 8)
    }

    /// The digest of one compared value (never `none`).
    static func digest(_ comparable: JSON?) -> UInt64 {
        guard let comparable else { return empty }
        if case .string(let text) = comparable, let value = plainStringDigest(text) { return value == none ? 1 : value }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        comparable.write(to: &bytes)
        let value = fnv(bytes)
        return value == none ? 1 : value
    }

    /// Digests of several fields folded into one: equal exactly when every field's digest is
    /// equal; `none` (no agreed value) in any field makes the whole `none`.
    struct Combined {
        private var hash = SyncDigest.fnvOffset
        private var missing = false

        mutating func add(_ digest: UInt64) {
            if digest == SyncDigest.none { missing = true }
            hash = (hash ^ digest) &* SyncDigest.fnvPrime
            hash ^= hash >> 31
        }

        var value: UInt64 { missing ? SyncDigest.none : (hash == SyncDigest.none ? 1 : hash) }
    }

    /// The digest of a string's JSON text without writing it, when it needs no escape (the JSON
    /// writer then copies its bytes whole between quotes); nil otherwise. Most values are such
    /// strings, and a digest is taken of every field of every record pulled or imported.
    static func plainStringDigest(_ text: String) -> UInt64? {
        if let digest = text.utf8.withContiguousStorageIfAvailable(plainStringDigest(utf8:)) { return digest }
        var copy = text
        return copy.withUTF8(plainStringDigest(utf8:))
    }

    private static func plainStringDigest(utf8 bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        let quote = UInt64(UInt8(ascii: "\""))
        var hash = (fnvOffset ^ quote) &* fnvPrime
        for byte in bytes {
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return nil }
            hash = (hash ^ UInt64(byte)) &* fnvPrime
        }
        return (hash ^ quote) &* fnvPrime
    }

    /// FNV-1a 64's offset basis and prime.
    static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x0000_0100_0000_01b3

    static func fnv(_ bytes: [UInt8]) -> UInt64 {
        var hash = fnvOffset
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* fnvPrime
        }
        return hash
    }

    /// A contact's digests from its raw JSON as HighLevel returned it.
    static func contact(raw: JSON) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fieldCount * 8)
        for field in SyncField.all {
            let value = raw[field.highlevelKey]
            append(field.digest(value == .null ? nil : value), to: &out)
        }
        return out
    }

    /// A staged row's digest record (48 bytes): the fields it speaks for (bit per field: a CSV's
    /// mapped columns, or for JSON the attributes the record holds), flags, one digest combined
    /// over those fields, and its email and phone keys hashed — all a plan needs to match the row
    /// and to know it unchanged, in a small covering index.
    static func row(fields: [String: JSON], emailKey: String?, phoneKey: String?, mappedFields: UInt32?) -> [UInt8] {
        row(
            archived: fields["archived"] != nil, highlevelId: fields["highlevel_id"] != nil, value: { fields[SyncField.all[$0].name] },
            emailKey: emailKey, phoneKey: phoneKey, mappedFields: mappedFields)
    }

    static func row(fields: FieldValues, emailKey: String?, phoneKey: String?, mappedFields: UInt32?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rowRecordSize)
        row(fields: fields, emailKey: emailKey, phoneKey: phoneKey, mappedFields: mappedFields, to: &out)
        return out
    }

    /// `row(fields:…)` written to `output` (the staging thread writes a million of them).
    static func row<Sink: ByteSink>(fields: FieldValues, emailKey: String?, phoneKey: String?, mappedFields: UInt32?, to output: inout Sink) {
        // Where each synced field (and the two flag fields) sits in the row, found in one walk of
        // both name-ordered lists; -1 where the row has no value.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: fieldCount + 2) { positions in
            positions.initialize(repeating: -1)
            fields.positions(of: sortedSyncFields) { positions[$0] = $1 }
            row(
                archived: positions[fieldCount] >= 0, highlevelId: positions[fieldCount + 1] >= 0,
                value: { positions[$0] >= 0 ? fields.value(at: positions[$0]) : nil }, emailKey: emailKey, phoneKey: phoneKey,
                mappedFields: mappedFields, to: &output)
        }
    }

    /// `SyncField.all`'s names in `String` order with their positions, and `archived` and
    /// `highlevel_id` as positions `fieldCount` and `fieldCount + 1`.
    private static let sortedSyncFields: [(name: String, index: Int)] =
        (SyncField.all.enumerated().map { (name: $0.element.name, index: $0.offset) }
            + [(name: "archived", index: fieldCount), (name: "highlevel_id", index: fieldCount + 1)]).sorted { $0.name < $1.name }

    private static func row(
        archived: Bool, highlevelId: Bool, value: (Int) -> JSON?, emailKey: String?, phoneKey: String?, mappedFields: UInt32?
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rowRecordSize)
        row(archived: archived, highlevelId: highlevelId, value: value, emailKey: emailKey, phoneKey: phoneKey, mappedFields: mappedFields, to: &out)
        return out
    }

    private static func row<Sink: ByteSink>(
        archived: Bool, highlevelId: Bool, value: (Int) -> JSON?, emailKey: String?, phoneKey: String?, mappedFields: UInt32?, to out: inout Sink
    ) {
        var flags: RowFlags = []
        if archived { flags.insert(.archived) }
        if highlevelId { flags.insert(.highlevelId) }
        let known: UInt32
        if let mappedFields {
            known = mappedFields
        } else {
            var present: UInt32 = 0
            for index in SyncField.all.indices where value(index) != nil { present |= 1 << UInt32(index) }
            known = present
        }
        var combined = Combined()
        let comparisons = SyncField.comparisons
        for index in 0..<fieldCount where known & (1 << UInt32(index)) != 0 {
            let field = value(index)
            combined.add(SyncField.ownFormDigest(field, comparison: comparisons[index]) ?? SyncField.all[index].comparableDigest(field))
        }
        let email = emailKey.map { KeyHash($0) }
        let phone = phoneKey.map { KeyHash($0) }
        if email != nil { flags.insert(.emailKey) }
        if phone != nil { flags.insert(.phoneKey) }
        // Little-endian, as `MirrorDatabase.load64` reads it.
        let words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
            UInt64(known) | UInt64(flags.rawValue) << 32, combined.value, email?.first ?? 0, email?.second ?? 0, phone?.first ?? 0, phone?.second ?? 0
        )
        withUnsafeBytes(of: words) { bytes in
            if UInt64(1).littleEndian == 1 {
                out.append(bytes: bytes.assumingMemoryBound(to: UInt8.self))
            } else {
                for word in [words.0, words.1, words.2, words.3, words.4, words.5] { append(word, to: &out) }
            }
        }
    }

    static let rowRecordSize = 48

    /// The bits of `SyncField.all` a set of field names covers.
    static func mask(_ names: some Sequence<String>) -> UInt32 {
        let names = Set(names)
        var mask: UInt32 = 0
        for (position, field) in SyncField.all.enumerated() where names.contains(field.name) { mask |= 1 << UInt32(position) }
        return mask
    }

    /// A contact's base digests from its agreed values (`none` where nothing is agreed).
    static func base(_ values: [String: JSON]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fieldCount * 8)
        for field in SyncField.all {
            guard let value = values[field.name] else {
                append(none, to: &out)
                continue
            }
            append(field.digest(value), to: &out)
        }
        return out
    }

    private static func append<Sink: ByteSink>(_ value: UInt64, to out: inout Sink) {
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}

extension SyncField {
    /// The digest of the value as compared (`comparable`): what plans compare stored digests by.
    public func comparableDigest(_ value: JSON?) -> UInt64 { SyncDigest.digest(comparable(value)) }

    /// `comparableDigest(value)`, without building the compared value when the value already is
    /// its own compared form — nearly always: imports store trimmed text, E.164 phones and
    /// cleaned emails. Anything else takes the long way, so the two never differ.
    public func digest(_ value: JSON?) -> UInt64 {
        Self.ownFormDigest(value, comparison: comparison) ?? comparableDigest(value)
    }

    /// The fields' comparisons in `SyncField.all`'s order (looked up without copying a field).
    static let comparisons = SyncField.all.map(\.comparison)

    /// `digest(value)` when the value is absent or already its own compared form; nil when it
    /// must take the long way (`comparableDigest`).
    static func ownFormDigest(_ value: JSON?, comparison: Comparison) -> UInt64? {
        guard let value else { return SyncDigest.empty }  // what `comparableDigest(nil)` gives
        if comparison == .tags, case .array(let items) = value, let digest = tagsDigest(items) { return digest }
        guard case .string(let text) = value else { return nil }
        let isOwnForm: Bool
        switch comparison {
        case .text: isOwnForm = isTrimmedNonEmpty(text)
        case .email: isOwnForm = isTrimmedNonEmpty(text) && !text.utf8.contains { $0 >= 0x80 || ($0 >= 0x41 && $0 <= 0x5A) }
        case .phone: isOwnForm = isE164(text)
        case .tags, .country: isOwnForm = false
        }
        guard isOwnForm, let digest = SyncDigest.plainStringDigest(text) else { return nil }
        return digest == SyncDigest.none ? 1 : digest
    }

    /// The digest of a tag list as compared (lower-cased, sorted, without repeats, as a JSON
    /// array) when every tag is plain ASCII text, as imported tags nearly always are; else nil.
    private static func tagsDigest(_ items: [JSON]) -> UInt64? {
        guard !items.isEmpty else { return nil }
        var tags: [String] = []
        tags.reserveCapacity(items.count)
        for item in items {
            guard case .string(let tag) = item, isTrimmedNonEmpty(tag) else { return nil }
            var upper = false
            for byte in tag.utf8 {
                if byte < 0x20 || byte >= 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return nil }
                if byte >= 0x41 && byte <= 0x5A { upper = true }
            }
            tags.append(upper ? tag.lowercased() : tag)
        }
        tags.sort()
        var hash = SyncDigest.fnvOffset
        func feed(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* SyncDigest.fnvPrime }
        feed(UInt8(ascii: "["))
        for (index, tag) in tags.enumerated() where index == 0 || tags[index - 1] != tag {
            if index > 0 { feed(UInt8(ascii: ",")) }
            feed(UInt8(ascii: "\""))
            for byte in tag.utf8 { feed(byte) }
            feed(UInt8(ascii: "\""))
        }
        feed(UInt8(ascii: "]"))
        return hash == SyncDigest.none ? 1 : hash
    }

    /// Non-empty, and `trimmed` would leave it as it is (ASCII ends that are not white space).
    private static func isTrimmedNonEmpty(_ text: String) -> Bool {
        guard let (first, last) = text.utf8Ends else { return false }
        func plain(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }
        return plain(first) && plain(last)
    }

    /// `+` and 8 to 15 digits: what `PhoneNumber.e164` returns unchanged.
    private static func isE164(_ text: String) -> Bool {
        let check = { (bytes: UnsafeBufferPointer<UInt8>) -> Bool in
            guard (9...16).contains(bytes.count), bytes[0] == UInt8(ascii: "+") else { return false }
            return bytes[1...].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        }
        return text.utf8.withContiguousStorageIfAvailable(check) ?? Array(text.utf8).withUnsafeBufferPointer(check)
    }
}
