import Foundation

/// An append-only text log that is rotated when it grows past `maxBytes`: `nightly.log` becomes
/// `nightly.log.1`, `.1` becomes `.2`, … and the oldest beyond `keep` is removed.
public struct RotatingLog: Sendable {
    public let url: URL
    public var maxBytes: Int
    public var keep: Int

    public init(url: URL, maxBytes: Int = 5 << 20, keep: Int = 7) {
        self.url = url
        self.maxBytes = maxBytes
        self.keep = keep
    }

    public func append(_ lines: [String]) throws {
        let manager = FileManager.default
        try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let size = (try? manager.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        if size >= maxBytes { rotate() }
        if !manager.fileExists(atPath: url.path) {
            _ = manager.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
    }

    /// Shifts the files up by one; the oldest falls off.
    public func rotate() {
        let manager = FileManager.default
        try? manager.removeItem(atPath: url.path + ".\(keep)")
        for index in stride(from: keep - 1, through: 1, by: -1) {
            try? manager.moveItem(atPath: url.path + ".\(index)", toPath: url.path + ".\(index + 1)")
        }
        try? manager.moveItem(atPath: url.path, toPath: url.path + ".1")
    }

    /// The rotated files that exist, newest first.
    public func rotatedFiles() -> [URL] {
        (1...keep).map { URL(fileURLWithPath: url.path + ".\($0)") }.filter { FileManager.default.fileExists(atPath: $0.path) }
    }
}
