import Foundation
import Logging

/// Mirrors HighLevel contacts, tasks, notes and appointments into the workspace's database.
///
/// Contacts are listed through `POST /contacts/search`, newest `dateUpdated` first, with the
/// `searchAfter` cursor; an incremental pull stops once it is past the last checkpoint (minus an
/// overlap), so it works whether or not the service honours a range filter. When search is not
/// available it falls back to the deprecated `GET /contacts/` cursor. The children of every new or
/// changed contact (all of them on `--full`) are fetched afterwards from a queue. Every page and
/// every contact's children are committed together with the pull's state, so a pull stopped at any
/// point — Ctrl-C, a crash, the daily limit — continues where it stopped.
public struct Puller: Sendable {
    public let mirror: MirrorDatabase
    public let client: HighLevelClient
    public var logger = Logger(label: "liqsync.pull")
    public var now: @Sendable () -> Date = { Date() }

    public init(mirror: MirrorDatabase, client: HighLevelClient) {
        self.mirror = mirror
        self.client = client
    }

    public func run(_ options: PullOptions, progress: @Sendable (PullProgress) -> Void = { _ in }) async throws -> PullSummary {
        let started = ContinuousClock.now
        var state: PullState
        let resumed: Bool
        if let active = try await mirror.activePull() {
            state = active
            // The repeat guard starts again from where this run starts: a pull stopped before it
            // kept its last cursor (or one with none, which lists from the top again) would
            // otherwise take the first pages it fetches for pages it had already seen.
            state.seenCursors = state.cursor.map { [$0.canonicalText] } ?? []
            resumed = true
        } else {
            let since = options.full ? nil : try await mirror.contactsCheckpoint()
            state = try await mirror.beginPull(
                full: options.full, entities: options.entities.map(\.rawValue).sorted(), since: since)
            resumed = false
        }
        do {
            if state.phase == .contacts {
                state = try await pullContacts(state, options: options, progress: progress)
                state = try await mirror.finishContactPhase(state, at: now())
            }
            state = try await pullChildren(state, concurrency: options.concurrency, progress: progress)
            let stats = await client.stats
            try await mirror.finishPull(state, stats: stats, at: now())
            return await summary(state, resumed: resumed, started: started)
        } catch {
            let stats = await client.stats
            try? await mirror.recordStoppedPull(state, stats: stats, message: error.localizedDescription, at: now())
            throw error
        }
    }

    private func pullContacts(_ start: PullState, options: PullOptions, progress: (PullProgress) -> Void) async throws -> PullState {
        if start.usesDeprecatedList { return try await pullContactsFromList(start, options: options, progress: progress) }
        var state = start
        var committer = ContactPageCommitter(mirror: mirror, state: start)
        let stopBefore = state.since.flatMap(Timestamp.parse).map { $0.addingTimeInterval(-options.overlap) }
        var done = 0
        do {
            while true {
                var search = ContactSearch(pageLimit: options.pageLimit, searchAfter: state.cursor)
                search.sort = [(field: "dateUpdated", descending: true)]
                let page: SearchPage
                do {
                    page = try await client.searchContacts(search)
                } catch let error as APIError where state.cursor == nil && [.notFound, .invalidRequest].contains(error.kind) {
                    logger.notice("search is not available (\(error.status ?? 0)); listing through the deprecated GET /contacts/")
                    state = try await committer.finish()
                    state.usesDeprecatedList = true
                    return try await pullContactsFromList(state, options: options, progress: progress)
                }
                if let cursor = page.nextCursor {
                    let key = cursor.canonicalText
                    if state.seenCursors.contains(key) { throw MirrorError.repeatingCursor("POST /contacts/search") }
                    state.seenCursors.append(key)
                    if state.seenCursors.count > 8 { state.seenCursors.removeFirst() }
                }
                // The listing's end keeps the last cursor: a pull stopped before its contact phase
                // ends resumes after the last page, not from the top.
                state.cursor = page.nextCursor ?? state.cursor
                try await committer.add(page.contacts, state: state, pulledAt: now())
                done += page.contacts.count
                progress(PullProgress(phase: .contacts, done: done, total: stopBefore == nil ? page.total : nil))
                let reachedCheckpoint = stopBefore.map { limit in page.contacts.contains { ($0.dateUpdated ?? .distantPast) < limit } } ?? false
                if page.contacts.count < options.pageLimit || reachedCheckpoint || page.nextCursor == nil { return try await committer.finish() }
            }
        } catch {
            await committer.settle()
            throw error
        }
    }

    private func pullContactsFromList(_ start: PullState, options: PullOptions, progress: (PullProgress) -> Void) async throws -> PullState {
        var state = start
        state.full = true
        var committer = ContactPageCommitter(mirror: mirror, state: state)
        let limit = min(options.pageLimit, 100)
        var done = 0
        do {
            while true {
                let after = state.listCursor
                let page = try await client.listContacts(
                    limit: limit, startAfter: after.flatMap { Double($0[0]) }, startAfterId: after?.last)
                var cursor: [String]?
                if let startAfter = page.startAfter, let id = page.startAfterId { cursor = [String(Int64(startAfter)), id] }
                if let cursor, cursor == after { throw MirrorError.repeatingCursor("GET /contacts/") }
                state.listCursor = cursor ?? state.listCursor
                try await committer.add(page.contacts, state: state, pulledAt: now())
                done += page.contacts.count
                progress(PullProgress(phase: .contacts, done: done, total: page.total))
                if page.contacts.count < limit || cursor == nil { return try await committer.finish() }
            }
        } catch {
            await committer.settle()
            throw error
        }
    }

    /// Fetches children for several contacts at once (`options.concurrency`), so the budget is
    /// used even when each call takes a while to answer; each contact is committed as it arrives.
    private func pullChildren(_ start: PullState, concurrency: Int, progress: (PullProgress) -> Void) async throws -> PullState {
        var state = start
        let entities = Set(state.entities.compactMap(PullEntity.init(rawValue:)))
        let total = try await mirror.queuedCount()
        var done = 0
        progress(PullProgress(phase: .children, done: 0, total: total))
        while true {
            let batch = try await mirror.queuedContacts(limit: 200)
            if batch.isEmpty { return state }
            try await withThrowingTaskGroup(of: (String, MirrorDatabase.Children).self) { group in
                var inFlight = 0
                for contactId in batch {
                    if inFlight >= max(1, concurrency), let (id, children) = try await group.next() {
                        state = try await mirror.commitChildren(children, of: id, state: state, pulledAt: now())
                        inFlight -= 1
                        done += 1
                        progress(PullProgress(phase: .children, done: done, total: total))
                    }
                    group.addTask { (contactId, try await fetchChildren(of: contactId, entities: entities)) }
                    inFlight += 1
                }
                while let (id, children) = try await group.next() {
                    state = try await mirror.commitChildren(children, of: id, state: state, pulledAt: now())
                    done += 1
                    progress(PullProgress(phase: .children, done: done, total: total))
                }
            }
        }
    }

    private func fetchChildren(of contactId: String, entities: Set<PullEntity>) async throws -> MirrorDatabase.Children {
        var children = MirrorDatabase.Children()
        do {
            if entities.contains(.tasks) { children.tasks = try await client.tasks(of: contactId) }
            if entities.contains(.notes) { children.notes = try await client.notes(of: contactId) }
            if entities.contains(.appointments) { children.appointments = try await client.appointments(of: contactId) }
        } catch let error as APIError where error.kind == .notFound {
            children = MirrorDatabase.Children(contactGone: true)
        }
        return children
    }

    private func summary(_ state: PullState, resumed: Bool, started: ContinuousClock.Instant) async -> PullSummary {
        let stats = await client.stats
        let elapsed = ContinuousClock.now - started
        var counts: [String: PullSummary.Counts] = [:]
        for entity in PullEntity.allCases {
            let value = state.counts[entity.rawValue] ?? RecordCounts()
            counts[entity.rawValue] = PullSummary.Counts(new: value.new, updated: value.updated, deleted: value.deleted)
        }
        return PullSummary(
            mode: state.full ? "full" : "incremental", resumed: resumed, counts: counts, requests: stats.requests,
            throttled: stats.throttled, retries: stats.retries,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            dailyRemaining: await client.dailyRemaining, runId: state.runId)
    }
}
