import Dispatch
import Foundation
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

/// Runs `body(0)` … `body(count - 1)` side by side and returns when all are done: on the calling
/// thread and on as many queues of their own as there are other cores, each taking the next part
/// not yet taken. Unlike `DispatchQueue.concurrentPerform`, which hands parts to the caller's thread
/// pool and then waits for them to start, this never waits on work without a thread, so a Swift
/// concurrency task may call it while every thread of the cooperative pool is busy. No more threads
/// than cores: a part on an oversubscribed core finishes later, and the slowest part is the wait.
func sideBySide(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let threads = min(count, max(1, ProcessInfo.processInfo.activeProcessorCount))
    let parts = PartCounter(count)
    let work: @Sendable () -> Void = {
        while let part = parts.take() { body(part) }
    }
    let group = DispatchGroup()
    for _ in 1..<max(1, threads) { DispatchQueue(label: "liqsync.part").async(group: group, execute: work) }
    work()
    group.wait()
}

/// Hands out 0, 1, … `count - 1` once each, to whichever thread asks first.
private final class PartCounter: Sendable {
    private let next = Mutex(0)
    private let count: Int

    init(_ count: Int) { self.count = count }

    func take() -> Int? {
        next.withLock { next in
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }
}
