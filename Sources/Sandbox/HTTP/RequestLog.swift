import Foundation

/// One request the sandbox received, as the admin path reports it. No header or body is kept,
/// so no secret can leak through the log.
public struct LoggedRequest: Sendable, Codable, Equatable {
    public var sequence: Int
    public var time: Date
    public var method: String
    public var path: String
    public var query: String?
    public var status: Int
    /// The fault injected into this request's answer, if any.
    public var fault: String?
}

/// The requests received, oldest first, up to a capacity (older ones are dropped).
public actor RequestLog {
    private var entries: [LoggedRequest] = []
    private var sequence = 0
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    func append(method: String, path: String, query: String?, status: Int, fault: String?) {
        sequence += 1
        entries.append(
            LoggedRequest(sequence: sequence, time: Date(), method: method, path: path, query: query, status: status, fault: fault))
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
    }

    /// Entries with a sequence number above `after`.
    public func entries(after: Int = 0) -> [LoggedRequest] {
        entries.filter { $0.sequence > after }
    }

    /// The sequence number of the newest entry, to read only what comes after it.
    public var lastSequence: Int { sequence }

    public func clear() {
        entries.removeAll()
    }
}
