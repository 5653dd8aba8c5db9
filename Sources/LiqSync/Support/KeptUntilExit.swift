import Synchronization

/// Values a command has finished with as the process is about to end, kept rather than freed:
/// the operating system takes back the whole process at once, where freeing a large plan's
/// changes one by one (each with its dictionaries) took 15–20 ms of a one-second nightly plan.
/// Only for what a command-line run holds at its very end; a long-running process must not use it.
public enum KeptUntilExit {
    private static let values = Mutex<[any Sendable]>([])

    public static func keep(_ value: some Sendable) {
        values.withLock { $0.append(value) }
    }
}

/// A value handed to `KeptUntilExit` that is never read again: no thread can race on it, so it
/// need not be `Sendable` itself.
struct Unexamined: @unchecked Sendable {
    let value: Any
    init(_ value: Any) { self.value = value }
}
