import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a file so readers see the old content or the new, never a mix: temporary file in the
/// same folder with the final mode from the start, fsync, rename.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL, mode: mode_t = 0o644) throws {
        try write(to: url, mode: mode) { put in try data.withUnsafeBytes(put) }
    }

    /// Writes what `body` hands to `put`, run after run, as one file, synced before the rename.
    static func write(to url: URL, mode: mode_t = 0o644, _ body: (_ put: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary.path]) }
        var failed = (try? body { buffer in try writeAll(descriptor, buffer) }) == nil
        if fsync(descriptor) != 0 { failed = true }
        if close(descriptor) != 0 { failed = true }
        if failed || rename(temporary.path, url.path) != 0 {
            unlink(temporary.path)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }

    /// Writes all of `buffer` at the descriptor's position, as many calls as it takes.
    static func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer) throws {
        struct Failed: Error {}
        var offset = 0
        while offset < buffer.count, let base = buffer.baseAddress {
            let written = Glibc.write(descriptor, base + offset, buffer.count - offset)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw Failed() }
            offset += written
        }
    }
}
