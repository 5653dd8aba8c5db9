import Foundation

/// A JSON parser straight into `JSON` (RFC 8259). Parsing through JSONSerialization and then
/// casting every `Any` costs several times more; this runs for every record pulled, staged or
/// planned. Nesting is limited to 512 levels so hostile input cannot exhaust the stack.
struct JSONParser {
    struct Failure: Error {
        var offset: Int
        var reason: String
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    static func parse(_ data: Data) throws -> JSON {
        try data.withUnsafeBytes { try parse(bytes: $0) }
    }

    /// Parses JSON text in place (a database column's bytes: no copy into `Data` first).
    static func parse(bytes raw: UnsafeRawBufferPointer) throws -> JSON {
        var parser = JSONParser(raw.bindMemory(to: UInt8.self))
        parser.skipSpace()
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw Failure(offset: parser.index, reason: "text after the value") }
        return value
    }

    /// A top-level object's members, and the values of chosen members in the order of `keys` (nil
    /// for a member that is absent), in one pass: a plan parses a staged row's fields and takes
    /// the synced ones by position, not by hashing each name again. The members are gathered first
    /// and the dictionary sized once (grown member by member, it was rehashed four times a row).
    static func object(of raw: UnsafeRawBufferPointer, picking keys: [[UInt8]]) throws -> (members: [String: JSON], picked: [JSON?]) {
        var picked = [JSON?](repeating: nil, count: keys.count)
        var parser = JSONParser(raw.bindMemory(to: UInt8.self))
        parser.skipSpace()
        guard parser.index < parser.bytes.count, parser.bytes[parser.index] == 0x7B else { throw parser.fail("expected an object") }
        parser.index += 1
        var pairs: [(key: String, value: JSON)] = []
        pairs.reserveCapacity(16)
        parser.skipSpace()
        if parser.index < parser.bytes.count, parser.bytes[parser.index] == 0x7D {
            parser.index += 1
        } else {
            while true {
                parser.skipSpace()
                guard parser.index < parser.bytes.count, parser.bytes[parser.index] == 0x22 else { throw parser.fail("expected a key") }
                let key = try parser.string()
                parser.skipSpace()
                guard parser.index < parser.bytes.count, parser.bytes[parser.index] == 0x3A else { throw parser.fail("expected ':'") }
                parser.index += 1
                parser.skipSpace()
                let value = try parser.value()
                let length = key.utf8.count
                if let position = keys.firstIndex(where: { $0.count == length && $0.elementsEqual(key.utf8) }) { picked[position] = value }
                pairs.append((key, value))
                parser.skipSpace()
                guard parser.index < parser.bytes.count else { throw parser.fail("unexpected end") }
                if parser.bytes[parser.index] == 0x2C {
                    parser.index += 1
                } else if parser.bytes[parser.index] == 0x7D {
                    parser.index += 1
                    break
                } else {
                    throw parser.fail("expected ',' or '}'")
                }
            }
        }
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw Failure(offset: parser.index, reason: "text after the value") }
        var members = [String: JSON](minimumCapacity: pairs.count)
        for (key, value) in pairs { members[key] = value }
        return (members, picked)
    }

    /// The values of chosen members of a top-level object, in the order of `keys` (nil for a
    /// member that is absent). Other members are stepped over without being built: a plan reads
    /// a dozen fields from contacts' raw JSON, which holds many more (custom fields, DND
    /// settings, attribution). Keys are compared as bytes; a key written with escapes is decoded
    /// first. Not an object: every value nil.
    static func members(of raw: UnsafeRawBufferPointer, keys: [[UInt8]]) throws -> [JSON?] {
        var found = [JSON?](repeating: nil, count: keys.count)
        var parser = JSONParser(raw.bindMemory(to: UInt8.self))
        parser.skipSpace()
        guard parser.index < parser.bytes.count, parser.bytes[parser.index] == 0x7B else { return found }
        parser.index += 1
        parser.skipSpace()
        if parser.index < parser.bytes.count, parser.bytes[parser.index] == 0x7D { return found }
        while true {
            parser.skipSpace()
            guard parser.index < parser.bytes.count, parser.bytes[parser.index] == 0x22 else { throw parser.fail("expected a key") }
            let wanted = try parser.keyPosition(in: keys)
            parser.skipSpace()
            guard parser.index < parser.bytes.count, parser.bytes[parser.index] == 0x3A else { throw parser.fail("expected ':'") }
            parser.index += 1
            parser.skipSpace()
            if let wanted {
                found[wanted] = try parser.value()
            } else {
                try parser.skipValue()
            }
            parser.skipSpace()
            guard parser.index < parser.bytes.count else { throw parser.fail("unexpected end") }
            if parser.bytes[parser.index] == 0x2C {
                parser.index += 1
            } else if parser.bytes[parser.index] == 0x7D {
                return found
            } else {
                throw parser.fail("expected ',' or '}'")
            }
        }
    }

    /// Reads a key and says which of `keys` it is, if any.
    private mutating func keyPosition(in keys: [[UInt8]]) throws -> Int? {
        let start = index + 1
        var end = start
        while end < bytes.count, bytes[end] != 0x22, bytes[end] != 0x5C { end += 1 }
        guard end < bytes.count, bytes[end] == 0x22 else {
            // Escapes in the key: decode it, then compare.
            let key = Array(try string().utf8)
            return keys.firstIndex(of: key)
        }
        index = end + 1
        let key = UnsafeBufferPointer(rebasing: bytes[start..<end])
        return keys.firstIndex { candidate in candidate.count == key.count && candidate.elementsEqual(key) }
    }

    /// Steps over one value, checking its structure (brackets, strings, literals) without building it.
    private mutating func skipValue() throws {
        guard index < bytes.count else { throw fail("unexpected end") }
        switch bytes[index] {
        case 0x22:
            index += 1
            while index < bytes.count {
                switch bytes[index] {
                case 0x22:
                    index += 1
                    return
                case 0x5C: index += 2
                default: index += 1
                }
            }
            throw fail("unterminated string")
        case 0x7B, 0x5B:
            try nest()
            defer { depth -= 1 }
            let close: UInt8 = bytes[index] == 0x7B ? 0x7D : 0x5D
            index += 1
            skipSpace()
            if index < bytes.count, bytes[index] == close {
                index += 1
                return
            }
            while true {
                skipSpace()
                if close == 0x7D {
                    guard index < bytes.count, bytes[index] == 0x22 else { throw fail("expected a key") }
                    try skipValue()
                    skipSpace()
                    guard index < bytes.count, bytes[index] == 0x3A else { throw fail("expected ':'") }
                    index += 1
                    skipSpace()
                }
                try skipValue()
                skipSpace()
                guard index < bytes.count else { throw fail("unexpected end") }
                if bytes[index] == 0x2C {
                    index += 1
                } else if bytes[index] == close {
                    index += 1
                    return
                } else {
                    throw fail("expected ',' or a closing bracket")
                }
            }
        default:
            _ = try value()
        }
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func fail(_ reason: String) -> Failure { Failure(offset: index, reason: reason) }

    private mutating func value() throws -> JSON {
        guard index < bytes.count else { throw fail("unexpected end") }
        switch bytes[index] {
        case 0x7B: return try object()
        case 0x5B: return try array()
        case 0x22: return .string(try string())
        case 0x74: return try literal("true", .bool(true))
        case 0x66: return try literal("false", .bool(false))
        case 0x6E: return try literal("null", .null)
        case 0x2D, 0x30...0x39: return try number()
        default: throw fail("unexpected character")
        }
    }

    private mutating func literal(_ text: StaticString, _ value: JSON) throws -> JSON {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail("unexpected end") }
        let expected = UnsafeBufferPointer(start: text.utf8Start, count: count)
        for offset in 0..<count where bytes[index + offset] != expected[offset] { throw fail("invalid literal") }
        index += count
        return value
    }

    private mutating func nest() throws {
        depth += 1
        if depth > 512 { throw fail("nested too deeply") }
    }

    private mutating func object() throws -> JSON {
        try nest()
        defer { depth -= 1 }
        index += 1
        var members: [String: JSON] = [:]
        skipSpace()
        if index < bytes.count, bytes[index] == 0x7D {
            index += 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == 0x22 else { throw fail("expected a key") }
            let key = try string()
            skipSpace()
            guard index < bytes.count, bytes[index] == 0x3A else { throw fail("expected ':'") }
            index += 1
            skipSpace()
            members[key] = try value()
            skipSpace()
            guard index < bytes.count else { throw fail("unexpected end") }
            if bytes[index] == 0x2C {
                index += 1
            } else if bytes[index] == 0x7D {
                index += 1
                return .object(members)
            } else {
                throw fail("expected ',' or '}'")
            }
        }
    }

    private mutating func array() throws -> JSON {
        try nest()
        defer { depth -= 1 }
        index += 1
        var items: [JSON] = []
        skipSpace()
        if index < bytes.count, bytes[index] == 0x5D {
            index += 1
            return .array(items)
        }
        while true {
            skipSpace()
            items.append(try value())
            skipSpace()
            guard index < bytes.count else { throw fail("unexpected end") }
            if bytes[index] == 0x2C {
                index += 1
            } else if bytes[index] == 0x5D {
                index += 1
                return .array(items)
            } else {
                throw fail("expected ',' or ']'")
            }
        }
    }

    private mutating func number() throws -> JSON {
        let start = index
        if bytes[index] == 0x2D { index += 1 }
        guard index < bytes.count, (0x30...0x39).contains(bytes[index]) else { throw fail("invalid number") }
        if bytes[index] == 0x30 {
            index += 1
        } else {
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            guard index < bytes.count, (0x30...0x39).contains(bytes[index]) else { throw fail("invalid number") }
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == 0x65 || bytes[index] == 0x45 {
            index += 1
            if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D { index += 1 }
            guard index < bytes.count, (0x30...0x39).contains(bytes[index]) else { throw fail("invalid number") }
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let number = Double(text) else { throw fail("invalid number") }
        return .number(number)
    }

    private mutating func string() throws -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x22 {
                let text = try validated(start, index)
                index += 1
                return text
            }
            if byte == 0x5C { break }
            if byte < 0x20 { throw fail("control character in a string") }
            index += 1
        }
        var output = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case 0x22:
                guard let text = String(validating: output, as: UTF8.self) else { throw fail("invalid UTF-8") }
                return text
            case 0x5C:
                guard index < bytes.count else { throw fail("unexpected end") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case 0x22: output.append(0x22)
                case 0x5C: output.append(0x5C)
                case 0x2F: output.append(0x2F)
                case 0x62: output.append(0x08)
                case 0x66: output.append(0x0C)
                case 0x6E: output.append(0x0A)
                case 0x72: output.append(0x0D)
                case 0x74: output.append(0x09)
                case 0x75:
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate must be followed by \u and a low one.
                        guard index + 1 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 else { throw fail("lone surrogate") }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid surrogate pair") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("lone surrogate")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid escape") }
                    output.append(contentsOf: Array(String(Character(unicode)).utf8))
                default: throw fail("invalid escape")
                }
            default:
                if byte < 0x20 { throw fail("control character in a string") }
                output.append(byte)
            }
        }
        throw fail("unterminated string")
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("unexpected end") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | digit
        }
        return value
    }

    private func validated(_ start: Int, _ end: Int) throws -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<end])
        var ascii = true
        for byte in slice where byte >= 0x80 {
            ascii = false
            break
        }
        if ascii { return String(decoding: slice, as: UTF8.self) }
        guard let text = String(validating: slice, as: UTF8.self) else { throw fail("invalid UTF-8") }
        return text
    }
}
