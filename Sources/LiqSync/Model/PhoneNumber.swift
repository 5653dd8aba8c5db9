import Foundation

/// A phone number in E.164, the key liqsync matches phones by.
public enum PhoneNumber {
    /// A phone as read: the E.164 key and the extension written after it, if any.
    public struct Parsed: Sendable, Equatable {
        public var e164: String
        public var extensionDigits: String?
    }

    /// E.164 for a number written any common way: NANP first (10 digits → `+1…`, 11 starting
    /// with 1), `+` kept, `00` read as `+`. An extension (`x123`, `ext. 123`, `#123`) is dropped
    /// from the key. Nil for anything that is not a plausible number.
    public static func e164(_ raw: String) -> String? {
        parse(raw)?.e164
    }

    /// The number and its extension, or nil when the text is not a plausible phone number.
    /// Works on the UTF-8 bytes: it runs for every phone cell of every import.
    public static func parse(_ raw: String) -> Parsed? {
        var raw = raw
        return raw.withUTF8(parse(bytes:))
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Parsed? {
        // The number's digits on the stack: no plausible number has more than 17, so the first
        // 20 are kept and the rest only counted.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { parse(bytes: bytes, digits: $0) }
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>, digits: UnsafeMutableBufferPointer<UInt8>) -> Parsed? {
        var count = 0
        var plus = false
        var extensionDigits: [UInt8] = []
        var inExtension = false
        var sawDigit = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case 0x30...0x39:
                sawDigit = true
                if inExtension {
                    extensionDigits.append(byte)
                } else {
                    if count < digits.count { digits[count] = byte }
                    count += 1
                }
            case 0x2B:
                // `+` only before the first digit.
                guard !sawDigit, !plus, !inExtension else { return nil }
                plus = true
            case 0x20, 0x2D, 0x28, 0x29, 0x2E, 0x2F, 0x09, 0xA0:
                continue
            case 0x78, 0x58, 0x23, 0x65, 0x45:
                // `x`, `#`, or `ext`/`ext.`/`extension` after the number starts the extension.
                guard sawDigit, !inExtension else { return nil }
                if byte == 0x65 || byte == 0x45 {
                    var word: [UInt8] = [byte | 0x20]
                    while index < bytes.count, (bytes[index] | 0x20) >= 0x61, (bytes[index] | 0x20) <= 0x7A {
                        word.append(bytes[index] | 0x20)
                        index += 1
                    }
                    guard word == Array("ext".utf8) || word == Array("extension".utf8) else { return nil }
                }
                inExtension = true
            case 0x3A:
                // `ext: 12`
                guard inExtension else { return nil }
            case 0xC2:
                // A UTF-8 no-break space (C2 A0).
                guard index < bytes.count, bytes[index] == 0xA0 else { return nil }
                index += 1
            default:
                return nil
            }
        }
        guard count > 0, !(inExtension && extensionDigits.isEmpty) else { return nil }
        let ext = extensionDigits.isEmpty ? nil : String(decoding: extensionDigits, as: UTF8.self)
        /// `+`, the country code when it is implied, and the digits from `first` (all of them
        /// are stored: every branch below has at most 17).
        func result(from first: Int, country: UInt8? = nil) -> Parsed {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: digits.count + 2) { text in
                var length = 0
                func put(_ byte: UInt8) {
                    text[length] = byte
                    length += 1
                }
                put(UInt8(ascii: "+"))
                if let country { put(country) }
                for position in first..<count { put(digits[position]) }
                return Parsed(e164: String(decoding: UnsafeBufferPointer(rebasing: text[0..<length]), as: UTF8.self), extensionDigits: ext)
            }
        }
        if plus { return (8...15).contains(count) ? result(from: 0) : nil }
        if count >= 2, digits[0] == 0x30, digits[1] == 0x30 {
            return (10...17).contains(count) ? result(from: 2) : nil
        }
        if count == 10, digits[0] != 0x30, digits[0] != 0x31 { return result(from: 0, country: UInt8(ascii: "1")) }
        if count == 11, digits[0] == 0x31, digits[1] != 0x30, digits[1] != 0x31 { return result(from: 0) }
        return nil
    }
}
