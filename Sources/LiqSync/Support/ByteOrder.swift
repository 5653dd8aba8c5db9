import Foundation

/// Whether `a` sorts before `b` byte by byte (for UTF-8, Unicode scalar order, as SQLite's
/// BINARY collation sorts): one `memcmp`, where comparing through a collection's elements took
/// a tenth of a plan's triage on twenty thousand ids.
func bytesPrecede(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    let common = min(a.count, b.count)
    if common > 0, let x = a.baseAddress, let y = b.baseAddress {
        let order = memcmp(x, y, common)
        if order != 0 { return order < 0 }
    }
    return a.count < b.count
}

/// Byte order as a number: negative when `a` comes first, positive when `b` does, zero when equal.
func bytesCompare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let common = min(a.count, b.count)
    if common > 0, let x = a.baseAddress, let y = b.baseAddress {
        let order = memcmp(x, y, common)
        if order != 0 { return Int(order) }
    }
    return a.count - b.count
}

extension String {
    /// `bytesPrecede` over the strings' UTF-8.
    func utf8Precedes(_ other: String) -> Bool {
        let inPlace = utf8.withContiguousStorageIfAvailable { x in
            other.utf8.withContiguousStorageIfAvailable { y in bytesPrecede(UnsafeRawBufferPointer(x), UnsafeRawBufferPointer(y)) }
        }
        return (inPlace ?? nil) ?? utf8.lexicographicallyPrecedes(other.utf8)
    }
}

extension String {
    /// The first eight UTF-8 bytes as a big-endian number (zeros past the end): two strings
    /// whose prefixes differ are in the prefixes' order, byte by byte, as `utf8Precedes` orders them.
    var utf8Prefix: UInt64 {
        var prefix: UInt64 = 0
        var taken = 0
        for byte in utf8.prefix(8) {
            prefix = prefix << 8 | UInt64(byte)
            taken += 1
        }
        return taken == 8 ? prefix : prefix << (8 * UInt64(8 - taken))
    }
}
