import Dispatch
import Foundation

/// Stages batches on a second thread while the caller reads and maps the next ones, so an import
/// uses both cores: one parses and normalises, the other encodes and writes SQLite. At most two
/// batches wait, which keeps memory flat; the first failure stops the pipeline and is rethrown.
final class StagingPipeline: @unchecked Sendable {
    // `failure` is guarded by `lock`; `database` and `importId` are immutable; batches are handed
    // over whole and never touched again by the submitter.
    private let database: MirrorDatabase
    private let importId: Int64
    private let queue = DispatchQueue(label: "liqsync.staging")
    private let slots = DispatchSemaphore(value: 2)
    private let lock = NSLock()
    private var failure: (any Error)?

    init(database: MirrorDatabase, importId: Int64) {
        self.database = database
        self.importId = importId
    }

    /// Queues a batch; throws the error of an earlier batch, if one failed.
    func submit(_ rows: [ImportedRow]) throws {
        if let failure = lock.withLock({ failure }) { throw failure }
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            guard lock.withLock({ failure == nil }) else { return }
            do {
                try database.stage(rows, importId: importId)
            } catch {
                lock.withLock { failure = failure ?? error }
            }
        }
    }

    /// Waits for every queued batch.
    func drain() {
        queue.sync {}
    }

    /// Waits for every queued batch; throws the first failure.
    func finish() throws {
        queue.sync {}
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}
