import Crypto
import Foundation

/// SHA-256 of files and text, as lower-case hex.
public enum FileDigest {
    /// The file's SHA-256, read in 1 MiB chunks.
    public static func sha256(of url: URL) throws -> (hex: String, size: Int64) {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw ImportError.unreadable(url.path, "no such file, or not readable")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 20)
            } catch {
                throw ImportError.unreadable(url.path, "reading failed")
            }
            guard let chunk, !chunk.isEmpty else { break }
            size += Int64(chunk.count)
            hasher.update(data: chunk)
        }
        return (hex(hasher.finalize()), size)
    }

    /// The SHA-256 of UTF-8 text.
    public static func sha256(_ text: String) -> String {
        hex(SHA256.hash(data: Data(text.utf8)))
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
