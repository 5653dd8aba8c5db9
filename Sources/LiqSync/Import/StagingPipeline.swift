import Dispatch
import Foundation

/// Stages batches on a second thread while the caller reads and maps the next ones, so an import
/// uses both cores: one parses and normalises, the other encodes and writes SQLite. At most eight
/// batches wait (about 20 MB): enough for the reading side to go on while the staging side waits
/// on a checkpoint's disk flush, and memory stays flat. The first failure stops the pipeline and
/// is rethrown.
final class StagingPipeline: @unchecked Sendable {
    // `failure` is guarded by `lock`; `database` and `importId` are immutable; batches are handed
    // over whole and never touched again by the submitter.
    private let database: MirrorDatabase
    private let importId: Int64
    private let queue = DispatchQueue(label: "liqsync.staging")
    private let slots = DispatchSemaphore(value: 8)
    private let lock = NSLock()
    private var failure: (any Error)?
    /// Batches already written, handed back so the submitting thread frees them: rows freed on
    /// the thread that allocated them do not contend with it for the allocator's lock (with the
    /// staging thread freeing them, both threads lost a tenth of their time waiting on it).
    private var written: [[ImportedRow]] = []
    /// The staged rows' keys, noted on the staging thread (the lighter half) in line order.
    /// Only touched by `queue`'s work items and `takeCandidatePairs`, which runs on `queue`.
    private var duplicates = DuplicateCandidates()
    /// The staged rows' content hashes in line order (same rule as `duplicates`).
    private var rowHashes = RowHashes()

    init(database: MirrorDatabase, importId: Int64) {
        self.database = database
        self.importId = importId
    }

    /// Queues a batch; throws the error of an earlier batch, if one failed. `mappedFields`: the
    /// synced fields the file's columns fill (nil: those a row holds), for the rows' digests.
    func submit(_ rows: [ImportedRow], mappedFields: UInt32?) throws {
        var done: [[ImportedRow]] = []
        let earlier = lock.withLock { () -> (any Error)? in
            swap(&done, &written)
            return failure
        }
        done.removeAll()  // freed here, outside the lock
        if let earlier { throw earlier }
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            guard lock.withLock({ failure == nil }) else { return }
            do {
                rowHashes.append(contentsOf: try database.stage(rows, importId: importId, mappedFields: mappedFields))
                duplicates.note(rows)
                lock.withLock { written.append(rows) }
            } catch {
                lock.withLock { failure = failure ?? error }
            }
        }
    }

    /// Once every batch is written: the pairs of lines that share a key (candidates; see
    /// `DuplicateCandidates`), handed over once.
    func takeCandidatePairs() -> [(Int, Int)] {
        queue.sync {
            defer { duplicates = DuplicateCandidates() }
            return duplicates.pairs
        }
    }

    /// Once every batch is written: the staged rows' content hashes, handed over once.
    func takeRowHashes() -> RowHashes {
        queue.sync {
            defer { rowHashes = RowHashes() }
            return rowHashes
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
