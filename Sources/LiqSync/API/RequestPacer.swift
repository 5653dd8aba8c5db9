import Foundation

/// Spaces requests so a run uses HighLevel's burst budget without meeting a 429.
///
/// It keeps its own record of when requests were sent, in a sliding window shaped like the
/// server's (`X-RateLimit-Max` requests per `X-RateLimit-Interval-Milliseconds`), and learns the
/// window from every response. When the server reports fewer remaining than its own count
/// (another client sharing the budget), it trusts the server and waits for its oldest request to
/// leave the window.
public actor RequestPacer {
    private var maxRequests: Int
    private var interval: Double
    /// When each request in the window was counted: its send time until its answer arrives, then
    /// the arrival time.
    private var sent: [(ticket: Int, time: Double)] = []
    private var nextTicket = 0
    private var serverRemaining: Int?
    public private(set) var dailyRemaining: Int?
    /// Seconds added to the window so clock drift between client and server cannot cause a 429.
    private let margin: Double
    private let clock: @Sendable () -> Double

    public init(
        maxRequests: Int = 100, interval: Double = 10, margin: Double = 0.05,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.maxRequests = maxRequests
        self.interval = interval
        self.margin = margin
        self.clock = clock
    }

    /// Waits until one more request fits in the window, then records it as sent. Call
    /// `completed()` when its answer arrives: the server counted it somewhere in between, so the
    /// arrival time is the safe one to slide the window by.
    @discardableResult
    public func acquire() async throws -> Int {
        while true {
            let now = clock()
            sent.removeAll { $0.time <= now - interval - margin }
            var capacity = maxRequests - sent.count
            if let remaining = serverRemaining { capacity = min(capacity, remaining) }
            if capacity > 0 {
                nextTicket += 1
                sent.append((nextTicket, now))
                if let remaining = serverRemaining { serverRemaining = remaining - 1 }
                return nextTicket
            }
            let oldest = sent.map(\.time).min() ?? now
            let wait = max(0.005, oldest + interval + margin - now)
            serverRemaining = nil
            try await Task.sleep(for: .seconds(wait))
        }
    }

    /// Moves a request's time to now: its answer has arrived.
    public func completed(_ ticket: Int) {
        guard let index = sent.firstIndex(where: { $0.ticket == ticket }) else { return }
        sent[index].time = max(sent[index].time, clock())
    }

    /// Learns the window and the budget left from a response's `X-RateLimit-*` headers.
    public func observe(headers: [String: String]) {
        if let max = headers["x-ratelimit-max"].flatMap(Int.init), max > 0 { maxRequests = max }
        if let ms = headers["x-ratelimit-interval-milliseconds"].flatMap(Double.init), ms > 0 { interval = ms / 1000 }
        if let remaining = headers["x-ratelimit-remaining"].flatMap(Int.init) {
            let ownCount = maxRequests - sent.filter { $0.time > clock() - interval }.count
            serverRemaining = remaining < ownCount ? remaining : nil
        }
        if let daily = headers["x-ratelimit-daily-remaining"].flatMap(Int.init) { dailyRemaining = daily }
    }

    /// After a 429: the budget is gone until the oldest request leaves the window.
    public func observeThrottle() {
        serverRemaining = 0
        if sent.isEmpty {
            nextTicket += 1
            sent.append((nextTicket, clock()))
        }
    }
}
