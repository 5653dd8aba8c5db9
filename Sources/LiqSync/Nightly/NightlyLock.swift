import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One nightly run at a time per workspace: an exclusive `flock` on `nightly.lock`, which the
/// kernel releases when the holder dies, plus the holder's process id and start time in the
/// file so a second run can say who holds it and a run after a crash can say whose lock it took.
public final class NightlyLock: @unchecked Sendable {
    public let url: URL
    private let descriptor: Int32
    /// The process id written by a run that ended without removing its lock, when there was one.
    public let tookOverFrom: Int32?

    public init(url: URL) throws {
        self.url = url
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fd = open(url.path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw NightlyError.lock("the lock file \(url.path) cannot be opened") }
        let previous = Self.holder(fd)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            let who = previous.map { "process \($0.pid), started \($0.started)" } ?? "another process"
            throw NightlyError.locked(who, url.path)
        }
        descriptor = fd
        tookOverFrom = previous.map(\.pid).flatMap { $0 == getpid() ? nil : $0 }
        let record = "\(getpid()) \(Timestamp.format(Date()))\n"
        _ = ftruncate(fd, 0)
        _ = record.withCString { pwrite(fd, $0, strlen($0), 0) }
        _ = fsync(fd)
    }

    /// Removes the lock file and releases the lock.
    public func release() {
        unlink(url.path)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// The pid and start time written in the file, if any.
    static func holder(_ fd: Int32) -> (pid: Int32, started: String)? {
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = pread(fd, &buffer, 127, 0)
        guard count > 0 else { return nil }
        let parts = String(decoding: buffer.prefix(count), as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard let first = parts.first, let pid = Int32(first) else { return nil }
        return (pid, parts.count > 1 ? String(parts[1]) : "at an unknown time")
    }
}
