import Foundation
import Synchronization

/// Writes pulled contact pages behind the fetching. Each page is prepared (canonical raw JSON,
/// keys, digests) as it arrives and committed, with the pull's state, in the background while the
/// next page is fetched. Pages that arrive while a commit runs are written together by the next
/// one, up to `batchLimit` contacts: a fast source (the sandbox, a pull with limits off) fills
/// bigger transactions, a slow one (HighLevel at its rate limit) has each page written as soon as
/// it comes. Commits happen in page order, one at a time, and each saves the cursor after its last
/// page, so a pull stopped at any point resumes after the last page committed.
public struct ContactPageCommitter: ~Copyable {
    private let mirror: MirrorDatabase
    private let batchLimit: Int
    /// The state as of the last finished commit.
    private var committed: PullState
    /// The caller's state (cursor) after the newest page added; saved by the next commit.
    private var latest: PullState
    private var waiting = MirrorDatabase.PreparedContacts()
    /// A page was added since the last commit started — even an empty one, whose state (cursor)
    /// still has to be saved.
    private var hasWaiting = false
    private var inFlight: Task<PullState, any Error>?
    private let inFlightDone = Flag()

    public init(mirror: MirrorDatabase, state: PullState, batchLimit: Int = 5_000) {
        self.mirror = mirror
        self.batchLimit = max(1, batchLimit)
        committed = state
        latest = state
    }

    /// Adds a page. `state` is the pull's state after it (its cursor); the contact counts and
    /// checkpoint come from what has been written.
    public mutating func add(_ contacts: [Contact], state: PullState, pulledAt: Date) async throws {
        waiting.append(await MirrorDatabase.PreparedContacts(contacts, pulledAt: pulledAt))
        latest = state
        hasWaiting = true
        guard let inFlight else { return start() }
        if inFlightDone.isSet || waiting.count >= batchLimit {
            committed = try await inFlight.value
            self.inFlight = nil
            start()
        }
    }

    /// Commits what is waiting and returns the state after the last commit.
    public mutating func finish() async throws -> PullState {
        if let inFlight {
            committed = try await inFlight.value
            self.inFlight = nil
        }
        if hasWaiting {
            start()
            if let inFlight {
                committed = try await inFlight.value
                self.inFlight = nil
            }
        }
        return committed
    }

    /// Waits for the commit in flight, if any, without committing what waits; used when the pull
    /// stops on an error, so nothing is still writing when it reports.
    public mutating func settle() async {
        if let inFlight {
            if let state = try? await inFlight.value { committed = state }
            self.inFlight = nil
        }
    }

    private mutating func start() {
        var state = latest
        state.counts = committed.counts
        state.newest = committed.newest
        let batch = waiting
        waiting = MirrorDatabase.PreparedContacts()
        hasWaiting = false
        let mirror = mirror
        let done = inFlightDone
        done.reset()
        inFlight = Task {
            defer { done.set() }
            return try await mirror.commitContactPage(batch, state: state)
        }
    }
}

/// A flag one task sets and another reads without waiting.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
    func reset() { value.store(false, ordering: .releasing) }
}
