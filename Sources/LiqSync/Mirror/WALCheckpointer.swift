import Foundation
import GRDB

/// Copies the WAL into the database file from a connection and thread of its own while a long
/// write runs (an import stages a million rows), so the writing thread seldom waits on the disk.
///
/// SQLite checkpoints on the committing connection once the WAL passes `wal_autocheckpoint`
/// pages, and a checkpoint syncs the WAL, copies it and syncs the database file: over a
/// million-row import those syncs held the staging thread for more than a second while the
/// reading thread waited for it. Here passive checkpoints (which never block the writer) copy and
/// sync what is committed as it comes; once the WAL has grown past the writer's threshold a
/// restarting checkpoint, left with little to copy, briefly holds the writer so the WAL starts
/// again from its beginning (a writer that never pauses would otherwise only ever append to it).
final class WALCheckpointer: @unchecked Sendable {
    // `stopped` is guarded by `condition`; `queue` is only used by the thread.
    private let queue: DatabaseQueue
    private let condition = NSCondition()
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)
    private let interval: TimeInterval
    private let restartFrames: Int

    /// Opens a second connection on `path` (a WAL database) and checkpoints it every `interval`
    /// seconds until `stop()`, restarting the WAL once it holds `restartFrames` frames.
    init(path: String, interval: TimeInterval = 0.05, restartFrames: Int) throws {
        var configuration = Configuration()
        // A restarting checkpoint holds new writers while it waits for the writer of the moment
        // and for readers of the WAL: it gives up after a tenth of a second (and is tried again
        // on the next pass) rather than stall the import behind a long read of another process.
        configuration.busyMode = .timeout(0.1)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        self.interval = interval
        self.restartFrames = restartFrames
        let thread = Thread { [self] in run() }
        thread.name = "liqsync.checkpoint"
        thread.start()
    }

    private func run() {
        defer { finished.signal() }
        while true {
            condition.lock()
            if !stopped { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
            let stop = stopped
            condition.unlock()
            if stop { return }
            // A failed pass is not an error of the write: the writer's own checkpoints resume
            // when `stop` gives `wal_autocheckpoint` back.
            _ = try? queue.writeWithoutTransaction { db in
                let frames = try db.checkpoint(.passive).walFrameCount
                if frames >= restartFrames { try db.checkpoint(.restart) }
            }
        }
    }

    /// Stops the thread (after the pass under way, if any) and closes the connection.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
        finished.wait()
        try? queue.close()
    }
}

extension MirrorDatabase {
    /// Runs `body` with the WAL checkpointed in the background instead of by the writer
    /// (`WALCheckpointer`); the writer's automatic checkpoints are back when it returns.
    func withBackgroundCheckpoints<T>(_ body: () throws -> T) throws -> T {
        // Without a second connection (it could not be opened) the writer checkpoints as usual.
        guard let checkpointer = try? WALCheckpointer(path: writer.path, restartFrames: Self.walAutocheckpointPages) else { return try body() }
        defer {
            checkpointer.stop()
            try? writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.walAutocheckpointPages)") }
        }
        try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        return try body()
    }
}
