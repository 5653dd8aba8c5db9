import Dispatch
import Synchronization

/// Work started on another thread now and collected later: the caller goes on with its own part
/// (diffing one batch while the next is read, compressing one block while the next is encoded).
final class Background<Value: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<Result<Value, any Error>>(.failure(CancellationError()))

    init(_ work: @escaping @Sendable () throws -> Value) {
        DispatchQueue.global().async { [self] in
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
