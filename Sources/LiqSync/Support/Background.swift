import Dispatch
import Synchronization

/// Work started on another thread now and collected later: the caller goes on with its own part
/// (diffing one batch while the next is read, compressing one block while the next is encoded).
final class Background<Value: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<Result<Value, any Error>>(.failure(CancellationError()))

    init(_ work: @escaping @Sendable () throws -> Value) {
        // A queue of its own, not a global one: it always gets a thread, even when every thread of
        // the global pool is busy — or blocked in `wait()`, which would otherwise never return.
        DispatchQueue(label: "liqsync.background").async { [self] in
            let value = Result { try work() }
            result.withLock { $0 = value }
            done.signal()
        }
    }

    /// The value, once computed; rethrows what the work threw.
    func wait() throws -> Value {
        done.wait()
        return try result.withLock { $0 }.get()
    }
}

/// Runs `body(0)` … `body(count - 1)` side by side and returns when all are done: part 0 on the
/// calling thread, each other part on a queue of its own. Unlike `DispatchQueue.concurrentPerform`,
/// which hands parts to the caller's thread pool and then waits for them to start, this never waits
/// on work without a thread — so a Swift concurrency task can call it even when every thread of
/// the cooperative pool is busy (two plans at once on two cores hung a test run that way).
func sideBySide(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    guard count > 1 else {
        if count == 1 { body(0) }
        return
    }
    let group = DispatchGroup()
    for part in 1..<count {
        DispatchQueue(label: "liqsync.part").async(group: group) { body(part) }
    }
    body(0)
    group.wait()
}
