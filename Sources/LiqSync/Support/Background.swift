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

    /// The value, once computed, moved out: the caller holds the only copy, so a collection taken
    /// grows or changes without being copied first. Once only, and no `wait` after it.
    func take() throws -> Value {
        done.wait()
        defer { done.signal() }
        return try result.withLock { stored in
            let taken = stored
            stored = .failure(CancellationError())
            return taken
        }.get()
    }

    /// The value, once computed; rethrows what the work threw. Any number of waits, from any
    /// number of threads: each passes the signal on to the next.
    func wait() throws -> Value {
        done.wait()
        defer { done.signal() }
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

/// `make(0)` … `make(count - 1)` on as many threads of their own as there are cores, each taking
/// the next piece not yet taken, and handed to `consume` in order on the calling thread as each is
/// ready. At most `ahead` pieces are made and not yet consumed, so memory stays bounded however
/// many there are. Unlike fixed blocks of pieces made side by side, no core waits for the slowest
/// piece of a block before the next block starts. What `make` or `consume` throws stops the rest
/// and is rethrown.
func madeInOrder<Piece: Sendable>(
    _ count: Int, ahead: Int, make: @escaping @Sendable (Int) throws -> Piece, consume: (Piece) throws -> Void
) throws {
    guard count > 0 else { return }
    let threads = min(count, max(1, ProcessInfo.processInfo.activeProcessorCount))
    let pipeline = OrderedPieces<Piece>(count: count, ahead: max(1, ahead), threads: threads)
    let group = DispatchGroup()
    for _ in 0..<threads { DispatchQueue(label: "liqsync.part").async(group: group) { pipeline.work(make) } }
    defer {
        pipeline.stop()
        group.wait()
    }
    for index in 0..<count { try consume(try pipeline.take(index)) }
}

/// The pieces of `madeInOrder`: who makes which, and which are ready.
private final class OrderedPieces<Piece: Sendable>: Sendable {
    /// One permit per piece that may be made before it is consumed. (Created empty and filled:
    /// a semaphore freed with fewer permits than it was created with is a crash.)
    private let slots = DispatchSemaphore(value: 0)
    private let ready: [DispatchSemaphore]
    private let parts: PartCounter
    private let made = Mutex<[Int: Result<Piece, any Error>]>([:])
    private let stopped = Mutex(false)
    private let threads: Int

    init(count: Int, ahead: Int, threads: Int) {
        ready = (0..<count).map { _ in DispatchSemaphore(value: 0) }
        parts = PartCounter(count)
        self.threads = threads
        for _ in 0..<ahead { slots.signal() }
    }

    /// Makes pieces until none is left or the consumer stopped.
    func work(_ make: (Int) throws -> Piece) {
        while true {
            slots.wait()
            guard !stopped.withLock({ $0 }), let part = parts.take() else {
                slots.signal()
                return
            }
            let result = Result { try make(part) }
            made.withLock { $0[part] = result }
            ready[part].signal()
        }
    }

    /// Piece `index`, once made (in order: each piece is taken once).
    func take(_ index: Int) throws -> Piece {
        ready[index].wait()
        let result = made.withLock { $0.removeValue(forKey: index) }
        slots.signal()
        guard let result else { throw CancellationError() }
        return try result.get()
    }

    /// No more pieces are started; each thread waiting for a permit gets one and leaves.
    func stop() {
        stopped.withLock { $0 = true }
        for _ in 0..<threads { slots.signal() }
    }
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

/// `read` over the keys in parts side by side (each read on a connection of its own) when there
/// are many: thousands of scattered lookups spend most of their time in the kernel copying pages,
/// which runs on every core. The parts are stretches of the sorted keys, so each reads its own
/// stretch of the index; there are several per core, each taken by whichever core is free, so
/// that a core slowed by other work does not leave the other waiting for its half.
func splitRead<Key: Comparable & Sendable, Part: Sendable>(_ keys: [Key], _ read: @escaping @Sendable ([Key]) throws -> Part) throws -> [Part] {
    guard keys.count >= splitReadThreshold, ProcessInfo.processInfo.activeProcessorCount > 1 else { return [try read(keys)] }
    let sorted = keys.sorted()
    let count = max(2, min(8, sorted.count / (splitReadThreshold / 2)))
    let size = (sorted.count + count - 1) / count
    let parts = (0..<count).map { Array(sorted[min($0 * size, sorted.count)..<min($0 * size + size, sorted.count)]) }
    let results = Mutex<[Int: Result<Part, any Error>]>([:])
    sideBySide(parts.count) { part in
        let outcome = Result { try read(parts[part]) }
        results.withLock { $0[part] = outcome }
    }
    let done = results.withLock { $0 }
    return try parts.indices.map { part in
        guard let outcome = done[part] else { throw CancellationError() }
        return try outcome.get()
    }
}

/// Dictionaries read in parts (`splitRead`) as one, sized once for all of them.
func merged<Key: Hashable, Value>(_ parts: [[Key: Value]]) -> [Key: Value] {
    var result: [Key: Value] = [:]
    result.reserveCapacity(parts.reduce(0) { $0 + $1.count })
    for part in parts { result.merge(part) { taken, _ in taken } }
    return result
}

/// Fewer keys than this are read in one go: each part costs a transaction of its own and a merge
/// (a part holds at least half this many keys).
let splitReadThreshold = 2_000

/// A map over many independent items, started on another thread now, which the thread that needs
/// the result joins instead of waiting for: it takes the chunks not yet taken, so the rest is
/// done on two cores. (A plan's records parsed ahead of its diff while the triage keeps one core
/// busy: when the diff begins, a third of them may be left.)
final class JoinableMap<Key: Hashable & Sendable, Item: Sendable, Value: Sendable>: Sendable {
    private let items: [(key: Key, item: Item)]
    private let transform: @Sendable (Key, Item) -> Value?
    private let chunks: PartCounter
    private let done = Mutex<[Int: [(Key, Value)]]>([:])
    private let result = Mutex<[Key: Value]?>(nil)
    private let started = DispatchGroup()
    private static var chunkSize: Int { 256 }

    init(_ items: [(key: Key, item: Item)], _ transform: @escaping @Sendable (Key, Item) -> Value?) {
        self.items = items
        self.transform = transform
        chunks = PartCounter((items.count + Self.chunkSize - 1) / Self.chunkSize)
        DispatchQueue(label: "liqsync.background").async(group: started) { [self] in drain() }
    }

    /// Takes chunks until none is left.
    private func drain() {
        while let chunk = chunks.take() {
            let lower = chunk * Self.chunkSize
            var values: [(Key, Value)] = []
            values.reserveCapacity(Self.chunkSize)
            for (key, item) in items[lower..<min(lower + Self.chunkSize, items.count)] {
                if let value = transform(key, item) { values.append((key, value)) }
            }
            done.withLock { $0[chunk] = values }
        }
    }

    /// Every item's value (items whose transform gave nil left out): the caller does what is left
    /// of the work, then waits for the chunk in hand on the other thread. Any number of calls.
    func values() -> [Key: Value] {
        if let known = result.withLock({ $0 }) { return known }
        drain()
        started.wait()
        return result.withLock { known in
            if let known { return known }
            var merged: [Key: Value] = [:]
            merged.reserveCapacity(items.count)
            for values in done.withLock({ $0.values }) { for (key, value) in values { merged[key] = value } }
            known = merged
            return merged
        }
    }
}
