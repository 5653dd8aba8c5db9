import Foundation

/// A JSON value as received from HighLevel, kept whole so nothing the API sends is lost.
public enum JSON: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public subscript(key: String) -> JSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var number: Double? { if case .number(let value) = self { value } else { nil } }
    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var array: [JSON]? { if case .array(let value) = self { value } else { nil } }
    public var object: [String: JSON]? { if case .object(let value) = self { value } else { nil } }

    /// A non-empty string, or nil.
    public var text: String? {
        guard case .string(let value) = self, !value.isEmpty else { return nil }
        return value
    }

    /// Parses bytes; throws when they are not JSON (RFC 8259, any value at the top).
    public static func parse(_ data: Data) throws -> JSON {
        try JSONParser.parse(data)
    }

    /// Compact JSON with sorted keys, so equal values give equal text. Written by hand: it runs
    /// for every record pulled, and JSONEncoder is an order of magnitude slower.
    public var canonicalText: String { Self.text { write(to: &$0) } }

    /// The text `write` puts into a fresh buffer.
    static func text(_ write: (inout [UInt8]) -> Void) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(512)
        write(&output)
        return String(decoding: output, as: UTF8.self)
    }

    func write<Sink: ByteSink>(to output: inout Sink) {
        switch self {
        case .null: output.append(text: "null")
        case .bool(let value): output.append(text: value ? "true" : "false")
        case .number(let value):
            if value.rounded() == value, abs(value) < 9e15 {
                Self.writeInteger(Int64(value), to: &output)
            } else if value.isFinite {
                var text = "\(value)"
                text.withUTF8 { output.append(bytes: $0) }
            } else {
                output.append(text: "null")
            }
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                item.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            // Sorting the pairs, not the keys, saves a hash lookup per member.
            for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                member.value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Decimal digits without building a String.
    private static func writeInteger<Sink: ByteSink>(_ value: Int64, to output: inout Sink) {
        if value == 0 {
            output.append(UInt8(ascii: "0"))
            return
        }
        if value < 0 { output.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[count] = UInt8(truncatingIfNeeded: 48 + magnitude % 10)
                magnitude /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { output.append(buffer[index]) }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// False when no byte is a control character, `"` or `\\` (then the bytes are copied as
    /// they are). Eight bytes at a time: true may also mean "look closer", never a missed byte.
    @inline(__always)
    static func mayNeedEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        scan(bytes, alsoNonASCII: false)
    }

    /// True when some byte is a control character, `"`, `\\` or (with `alsoNonASCII`) above
    /// 0x7F; eight bytes at a time, like `mayNeedEscape`.
    @inline(__always)
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, alsoNonASCII: Bool) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let raw = UnsafeRawPointer(base)
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            // A byte below 0x20, or equal to `"` or `\\` (a zero byte after the XOR).
            let control = (word &- ones &* 0x20) & ~word & highs
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let high = alsoNonASCII ? word & highs : 0
            if control | high | ((quote &- ones) & ~quote & highs) | ((backslash &- ones) & ~backslash & highs) != 0 { return true }
            offset += 8
        }
        while offset < bytes.count {
            let byte = base[offset]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || (alsoNonASCII && byte >= 0x80) { return true }
            offset += 1
        }
        return false
    }

    static func writeString<Sink: ByteSink>(_ value: String, to output: inout Sink) {
        // In place (no mutable copy of the string to call `withUTF8` on): a native string's
        // bytes are contiguous; only bridged text is copied.
        if value.utf8.withContiguousStorageIfAvailable({ writeString(utf8: $0, to: &output) }) != nil { return }
        var copy = value
        copy.withUTF8 { writeString(utf8: $0, to: &output) }
    }

    /// A string given as its UTF-8 bytes (valid UTF-8: the caller checks), written as JSON.
    static func writeString<Sink: ByteSink>(utf8 bytes: UnsafeBufferPointer<UInt8>, to output: inout Sink) {
        output.append(UInt8(ascii: "\""))
        // Most strings need no escape: copy them whole.
        if !Self.mayNeedEscape(bytes) {
            output.append(bytes: bytes)
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): output.append(text: "\\\"")
            case UInt8(ascii: "\\"): output.append(text: "\\\\")
            case 0x0A: output.append(text: "\\n")
            case 0x0D: output.append(text: "\\r")
            case 0x09: output.append(text: "\\t")
            case 0..<0x20:
                output.append(text: "\\u00")
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension JSON: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode([String: JSON].self) {
            self = .object(value)
        } else {
            self = .array(try container.decode([JSON].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 9e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// Where JSON text is written: an array of bytes, or a `TextBuffer`.
protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append(bytes: UnsafeBufferPointer<UInt8>)
}

extension ByteSink {
    mutating func append(text: StaticString) {
        text.withUTF8Buffer { append(bytes: $0) }
    }
}

extension Array: ByteSink where Element == UInt8 {
    mutating func append(bytes: UnsafeBufferPointer<UInt8>) { append(contentsOf: bytes) }
}

/// A growable byte buffer for text written a few bytes at a time (the JSON of every staged row):
/// an append is a bounds check and a store, where an Array's also checks that its storage is
/// not shared. A reference: reuse one buffer with `removeAll()`.
final class TextBuffer: ByteSink {
    private(set) var pointer: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = max(capacity, 16)
        pointer = .allocate(capacity: self.capacity)
    }

    deinit { pointer.deallocate() }

    func removeAll() { count = 0 }

    @inline(__always)
    func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        pointer[count] = byte
        count += 1
    }

    @inline(__always)
    func append(bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        if count + bytes.count > capacity { grow(to: count + bytes.count) }
        (pointer + count).update(from: base, count: bytes.count)
        count += bytes.count
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        larger.update(from: pointer, count: count)
        pointer.deallocate()
        pointer = larger
        capacity = newCapacity
    }
}
