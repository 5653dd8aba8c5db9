import Foundation

/// The records a pull can fetch.
public enum PullEntity: String, Sendable, CaseIterable, Codable {
    case contacts, tasks, notes, appointments
}

/// What a pull does.
public struct PullOptions: Sendable {
    /// Walk every contact, refetch every child, and mark contacts gone from HighLevel as deleted.
    public var full: Bool
    public var entities: Set<PullEntity>
    /// Records per search page (HighLevel allows up to 500).
    public var pageLimit: Int
    /// Contacts updated up to this many seconds before the checkpoint are fetched again, in case
    /// HighLevel's search index lagged behind its writes.
    public var overlap: TimeInterval
    /// Contacts whose children are fetched at the same time; the pacer still keeps the total
    /// within the rate limit.
    public var concurrency: Int = 4

    public init(full: Bool = false, entities: Set<PullEntity> = Set(PullEntity.allCases), pageLimit: Int = 500, overlap: TimeInterval = 300) {
        self.full = full
        self.entities = entities
        self.pageLimit = pageLimit
        self.overlap = overlap
    }
}

/// Where a running pull is, for a progress bar.
public struct PullProgress: Sendable {
    public enum Phase: String, Sendable {
        case contacts, children
    }

    public var phase: Phase
    public var done: Int
    /// The total when known (search reports it; the children queue knows its length).
    public var total: Int?
}

/// What a pull did.
public struct PullSummary: Sendable, Codable {
    public struct Counts: Sendable, Codable, Equatable {
        public var new: Int
        public var updated: Int
        public var deleted: Int

        public init(new: Int = 0, updated: Int = 0, deleted: Int = 0) {
            self.new = new
            self.updated = updated
            self.deleted = deleted
        }
    }

    public var mode: String
    public var resumed: Bool
    public var counts: [String: Counts]
    public var requests: Int
    public var throttled: Int
    public var retries: Int
    public var seconds: Double
    public var dailyRemaining: Int?
    public var runId: Int64
}
