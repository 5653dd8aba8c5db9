import Crypto
import Foundation

/// The contacts fingerprint: what `apply` compares to know the mirror has not moved on since
/// planning. Each contact's "id, dateUpdated, deletion mark" line is hashed to 128 bits and the
/// hashes are summed, so the fingerprint does not depend on the order contacts are read in and
/// can be carried forward: take away a contact's old line and add its new one (`remove`, `add`)
/// instead of reading every contact again. The hex text is SHA-256 over the sum and the count.
struct FingerprintHasher {
    private(set) var first: UInt64 = 0
    private(set) var second: UInt64 = 0
    private(set) var count = 0

    init() {}

    /// Carries on from a saved sum.
    init(first: UInt64, second: UInt64, count: Int) {
        self.first = first
        self.second = second
        self.count = count
    }

    mutating func add(_ id: UnsafeRawBufferPointer, _ updated: UnsafeRawBufferPointer, _ deleted: UnsafeRawBufferPointer) {
        let (a, b) = Self.line(id, updated, deleted)
        first &+= a
        second &+= b
        count += 1
    }

    mutating func remove(_ id: UnsafeRawBufferPointer, _ updated: UnsafeRawBufferPointer, _ deleted: UnsafeRawBufferPointer) {
        let (a, b) = Self.line(id, updated, deleted)
        first &-= a
        second &-= b
        count -= 1
    }

    mutating func add(id: String, updated: String?, deleted: String?) { Self.withLine(id, updated, deleted) { add($0, $1, $2) } }
    mutating func remove(id: String, updated: String?, deleted: String?) { Self.withLine(id, updated, deleted) { remove($0, $1, $2) } }

    private static func withLine(
        _ id: String, _ updated: String?, _ deleted: String?,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void
    ) {
        var (id, updated, deleted) = (id, updated ?? "", deleted ?? "")
        id.withUTF8 { i in updated.withUTF8 { u in deleted.withUTF8 { d in body(UnsafeRawBufferPointer(i), UnsafeRawBufferPointer(u), UnsafeRawBufferPointer(d)) } } }
    }

    /// Two independent 64-bit hashes of one line, eight bytes at a time; each part's length is
    /// mixed in after it, so moving a byte from one part to the next changes the hash.
    private static func line(_ id: UnsafeRawBufferPointer, _ updated: UnsafeRawBufferPointer, _ deleted: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        var state = LineState()
        state.add(id)
        state.add(updated)
        state.add(deleted)
        return (finish(state.a), finish(state.b ^ 0x5851_F42D_4C95_7F2D))
    }

    private struct LineState {
        var a: UInt64 = 0x9E37_79B9_7F4A_7C15
        var b: UInt64 = 0xC2B2_AE3D_27D4_EB4F

        @inline(__always)
        mutating func mix(_ word: UInt64) {
            a = (a ^ word) &* 0xFF51_AFD7_ED55_8CCD
            a ^= a >> 32
            b = (b &+ word) &* 0xC4CE_B9FE_1A85_EC53
            b ^= b >> 29
        }

        @inline(__always)
        mutating func add(_ part: UnsafeRawBufferPointer) {
            var offset = 0
            while offset + 8 <= part.count {
                mix(UInt64(littleEndian: part.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                offset += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < part.count {
                tail |= UInt64(part[offset]) << shift
                shift += 8
                offset += 1
            }
            mix(tail)
            mix(UInt64(part.count) | 0x8000_0000_0000_0000)
        }
    }

    /// MurmurHash3's finaliser.
    private static func finish(_ value: UInt64) -> UInt64 {
        var h = value
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }

    var hex: String {
        var bytes: [UInt8] = []
        for word in [first, second, UInt64(count)] { withUnsafeBytes(of: word.littleEndian) { bytes.append(contentsOf: $0) } }
        return FileDigest.hex(SHA256.hash(data: bytes))
    }
}
