import Foundation

/// Email addresses as LocaliQ and spreadsheet exports write them.
public enum EmailAddress {
    /// The address with white space, `mailto:` and `<…>` (or `Name <…>`) removed; the case is kept.
    public static func cleaned(_ raw: String) -> String {
        var text = raw.trimmed
        // Nearly every address needs nothing more: no `<`, and no `mailto:` (any case) in front.
        let plain = text.withUTF8 { bytes -> Bool in
            if bytes.contains(0x3C) { return false }
            guard bytes.count >= 7 else { return true }
            // Setting bit 5 lower-cases the letters and leaves `:` as it is (a byte that only
            // looks alike takes the long way, which checks exactly).
            return !zip(bytes.prefix(7), Self.mailto).allSatisfy { $0 | 0x20 == $1 }
        }
        if plain { return text }
        if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
            text = String(text[text.index(after: open)..<close]).trimmed
        }
        if text.utf8.count >= 7, text.prefix(7).lowercased() == "mailto:" { text = String(text.dropFirst(7)) }
        return text.trimmed
    }

    private static let mailto = Array("mailto:".utf8)

    /// The matching key (lower-cased) when the cleaned text is a plausible address, else nil.
    public static func key(_ cleaned: String) -> String? {
        var at = 0
        var atIndex = 0
        var dotAfterAt = false
        var folded = true  // ASCII without capitals: already its own key
        var text = cleaned
        let plausible = text.withUTF8 { bytes -> Bool in
            for (index, byte) in bytes.enumerated() {
                if byte >= 0x80 || (byte >= 0x41 && byte <= 0x5A) { folded = false }
                switch byte {
                case 0x40:
                    at += 1
                    atIndex = index
                case 0x2E where at == 1 && index > atIndex + 1:
                    dotAfterAt = true
                case 0x00...0x20, 0x22, 0x28, 0x29, 0x2C, 0x3A, 0x3B, 0x3C, 0x3E, 0x5B, 0x5C, 0x5D, 0x7F:
                    return false
                default:
                    break
                }
            }
            return bytes.last != 0x2E
        }
        guard plausible, at == 1, atIndex > 0, dotAfterAt else { return nil }
        return folded ? cleaned : cleaned.lowercased()
    }
}

/// Names: the explicit first/last columns, else a split of LocaliQ's `display_name`.
public enum PersonName {
    /// "Last, First" or "First Last" split into (first, last); nil for text that is an email
    /// address or a phone number rather than a name.
    public static func split(displayName raw: String) -> (first: String, last: String)? {
        let text = raw.trimmed
        guard !text.isEmpty, !text.contains("@"), PhoneNumber.e164(text) == nil, text.contains(where: \.isLetter) else { return nil }
        if let comma = text.firstIndex(of: ",") {
            let last = String(text[..<comma]).trimmed
            let first = String(text[text.index(after: comma)...]).trimmed
            return (first, last)
        }
        let parts = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        return (String(parts[0]), parts.count > 1 ? String(parts[1]).trimmed : "")
    }
}

/// Tags from a JSON array or a `,`/`;` list.
public enum TagList {
    /// Trimmed, empty ones dropped, de-duplicated case-insensitively (the first spelling wins).
    public static func parse(_ raw: String) -> [String] {
        if let plain = raw.utf8.withContiguousStorageIfAvailable(parseASCII), let plain { return plain }
        let text = raw.trimmed
        if text.hasPrefix("["), let value = try? JSON.parse(Data(text.utf8)), let array = value.array {
            return unique(array.compactMap { $0.string ?? $0.number.map { JSONCell.numberText($0) } })
        }
        // Split on the bytes: `,` and `;` are never part of a multi-byte character.
        var items: [String] = []
        var start = text.utf8.startIndex
        var index = start
        let end = text.utf8.endIndex
        while index < end {
            let byte = text.utf8[index]
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";") {
                if start < index { items.append(String(Substring(text.utf8[start..<index]))) }
                start = text.utf8.index(after: index)
            }
            index = text.utf8.index(after: index)
        }
        if start < end { items.append(String(Substring(text.utf8[start..<end]))) }
        return unique(items)
    }

    /// An ASCII list that is not a JSON array (nearly every cell): split, trimmed and compared
    /// (ASCII letters folded) on the bytes, a string made only for each tag kept. Nil for any
    /// other text, which takes the general path.
    private static func parseASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> [String]? {
        var separators = 0
        for byte in bytes {
            if byte >= 0x80 { return nil }
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";") { separators += 1 }
        }
        var first = 0
        while first < bytes.count, String.isASCIISpace(bytes[first]) { first += 1 }
        if first < bytes.count, bytes[first] == UInt8(ascii: "[") { return nil }
        var result: [String] = []
        result.reserveCapacity(separators + 1)
        // The kept tags' ranges, two offsets each, to compare later items against.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * (separators + 1)) { kept in
            var keptCount = 0
            var start = first
            while start <= bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: ","), bytes[end] != UInt8(ascii: ";") { end += 1 }
                let next = end + 1
                var low = start
                while low < end, String.isASCIISpace(bytes[low]) { low += 1 }
                while end > low, String.isASCIISpace(bytes[end - 1]) { end -= 1 }
                if low < end {
                    let seen = (0..<keptCount).contains { other in
                        let (otherLow, otherEnd) = (kept[2 * other], kept[2 * other + 1])
                        guard otherEnd - otherLow == end - low else { return false }
                        for offset in 0..<(end - low) where folded(bytes[low + offset]) != folded(bytes[otherLow + offset]) { return false }
                        return true
                    }
                    if !seen {
                        kept[2 * keptCount] = low
                        kept[2 * keptCount + 1] = end
                        keptCount += 1
                        result.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[low..<end]), as: UTF8.self))
                    }
                }
                start = next
            }
        }
        return result
    }

    /// An ASCII capital as its lower-case letter; any other byte as it is.
    @inline(__always)
    static func folded(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    /// Trimmed, non-empty, de-duplicated case-insensitively in order.
    public static func unique(_ items: [String]) -> [String] {
        var result: [String] = []
        if items.count > 16 {
            var seen = Set<String>()
            for item in items {
                let tag = item.trimmed
                if !tag.isEmpty, seen.insert(tag.lowercased()).inserted { result.append(tag) }
            }
            return result
        }
        // A few tags a row, nearly always: a list search costs less than hashing into a set.
        // ASCII without capitals (most lists) is its own folded form: the result is the list searched.
        if !items.contains(where: { $0.utf8.contains { $0 >= 0x80 || ($0 >= 0x41 && $0 <= 0x5A) } }) {
            result.reserveCapacity(items.count)
            for item in items {
                let tag = item.trimmed
                if !tag.isEmpty, !result.contains(tag) { result.append(tag) }
            }
            return result
        }
        var seen: [String] = []
        for item in items {
            let tag = item.trimmed
            guard !tag.isEmpty else { continue }
            // ASCII without capitals is its own folded form (no copy).
            let folded = tag.utf8.contains { $0 >= 0x80 || ($0 >= 0x41 && $0 <= 0x5A) } ? tag.lowercased() : tag
            guard !seen.contains(folded) else { continue }
            seen.append(folded)
            result.append(tag)
        }
        return result
    }
}

/// LocaliQ's two contact status vocabularies mapped to one canonical set.
public enum ContactStatus {
    /// The canonical values.
    public static let canonical = ["new", "open", "customer", "closed", "other"]

    /// The canonical status, or nil when the value is in neither vocabulary.
    public static func canonical(_ raw: String) -> String? {
        // Folded and looked up on the bytes for ASCII (nearly every value): no lower-cased copy.
        if let found = raw.utf8.withContiguousStorageIfAvailable({ asciiStatus($0) }), let found { return found }
        var key = Array(raw.trimmed.lowercased().utf8)
        for index in key.indices where key[index] == 0x20 || key[index] == 0x2D { key[index] = 0x5F }
        return key.withUnsafeBufferPointer { status(folded: $0) }
    }

    /// Both vocabularies by their folded value (lower case, `_` for spaces and `-`).
    private static let vocabulary: [(key: [UInt8], status: String)] = [
        ("pending_contact", "new"), ("new", "new"),
        ("active_lead", "open"), ("open", "open"), ("in_progress", "open"), ("connected", "open"), ("attempted_contact", "open"),
        ("prospect", "open"),
        ("client", "customer"), ("customer", "customer"), ("converted", "customer"),
        ("unqualified", "closed"), ("closed", "closed"),
        ("none", "other"), ("other", "other"),
    ].map { (key: Array($0.0.utf8), status: $0.1) }

    private static func status(folded key: UnsafeBufferPointer<UInt8>) -> String? {
        for entry in vocabulary where entry.key.count == key.count {
            if entry.key.withUnsafeBufferPointer({ $0.elementsEqual(key) }) { return entry.status }
        }
        return nil
    }

    /// Short ASCII text trimmed of white space, letters lower-cased, spaces and `-` as `_`, then
    /// looked up; `.some(nil)` when it is not in the vocabularies, nil when the text is not short
    /// ASCII (the general path folds it).
    private static func asciiStatus(_ bytes: UnsafeBufferPointer<UInt8>) -> String?? {
        var start = 0
        var end = bytes.count
        while start < end, String.isASCIISpace(bytes[start]) { start += 1 }
        while end > start, String.isASCIISpace(bytes[end - 1]) { end -= 1 }
        guard end - start <= 32 else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { key -> String?? in
            for offset in 0..<(end - start) {
                let byte = bytes[start + offset]
                if byte >= 0x80 { return nil }
                key[offset] = byte == 0x20 || byte == 0x2D ? 0x5F : TagList.folded(byte)
            }
            return .some(status(folded: UnsafeBufferPointer(rebasing: key[0..<(end - start)])))
        }
    }
}

/// Call durations written as seconds, `MM:SS` or `HH:MM:SS`.
public enum CallDuration {
    /// Whole seconds, or nil when the text is not a duration.
    public static func seconds(_ raw: String) -> Int? {
        let text = raw.trimmed
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigitCharacter) }) else {
            if let value = Double(text), value >= 0, value < 1e9 { return Int(value.rounded()) }
            return nil
        }
        let numbers = parts.compactMap { Int($0) }
        guard numbers.count == parts.count else { return nil }
        switch numbers.count {
        case 1: return numbers[0]
        case 2: return numbers[1] < 60 ? numbers[0] * 60 + numbers[1] : nil
        default: return numbers[1] < 60 && numbers[2] < 60 ? numbers[0] * 3600 + numbers[1] * 60 + numbers[2] : nil
        }
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { asciiValue.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
}

/// Text for JSON values placed in a cell.
enum JSONCell {
    /// A number as an export would write it: integers without `.0` (ids of 10+ digits stay exact).
    static func numberText(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 9.007e15 { return String(Int64(value)) }
        return String(value)
    }

    /// The cell text of a JSON value: strings as they are, numbers and booleans as text, arrays
    /// and objects as compact JSON, null as empty.
    static func text(_ value: JSON) -> String {
        switch value {
        case .null: ""
        case .string(let text): text
        case .number(let number): numberText(number)
        case .bool(let flag): flag ? "true" : "false"
        case .array, .object: value.canonicalText
        }
    }
}

extension String {
    /// Without leading and trailing white space (spaces, tabs, line ends, no-break spaces). Cheap
    /// when there is none, which is nearly every cell: it runs for every field of every row.
    var trimmed: String {
        guard let (first, last) = utf8Ends else { return "" }
        if !Self.isSpaceByte(first) && !Self.mayEndSpace(last) { return self }
        let utf8 = self.utf8
        // ASCII white space at the ends (a spreadsheet's padding) is cut from the bytes; a
        // multi-byte character that may be white space (a no-break space) goes to Foundation.
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, Self.isASCIISpace(utf8[start]) { start = utf8.index(after: start) }
        while end > start, Self.isASCIISpace(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        guard start < end else { return "" }
        if Self.isSpaceByte(utf8[start]) || Self.mayEndSpace(utf8[utf8.index(before: end)]) { return trimmingCharacters(in: .whitespacesAndNewlines) }
        return String(Substring(utf8[start..<end]))
    }

    @inline(__always)
    static func isASCIISpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    /// The first and last UTF-8 bytes (nil when empty), read in place: `utf8.last` walks the
    /// view generically, and every cell of an import asks.
    @inline(__always)
    var utf8Ends: (first: UInt8, last: UInt8)? {
        if let ends = utf8.withContiguousStorageIfAvailable({ bytes -> (UInt8, UInt8)? in
            guard let first = bytes.first, let last = bytes.last else { return nil }
            return (first, last)
        }) {
            return ends
        }
        guard let first = utf8.first, let last = utf8.last else { return nil }
        return (first, last)
    }

    /// Empty or only white space.
    var isBlank: Bool {
        // Nearly every cell starts with a byte that is not white space.
        if let (first, _) = utf8Ends, !Self.isSpaceByte(first) { return false }
        for byte in utf8 where !Self.isSpaceByte(byte) {
            // A multi-byte character might still be white space (U+3000); let Foundation decide.
            return byte < 0x80 ? false : trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }
        return true
    }

    /// A last byte that may end white space: ASCII white space, or any byte of a multi-byte
    /// character (its last byte is a continuation byte, whatever the character).
    @inline(__always)
    private static func mayEndSpace(_ byte: UInt8) -> Bool { isASCIISpace(byte) || byte >= 0x80 }

    @inline(__always)
    static func isSpaceByte(_ byte: UInt8) -> Bool {
        // ASCII white space, or the lead byte of a multi-byte character that may be white space.
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C || byte >= 0xC2 && byte <= 0xE3
    }
}
