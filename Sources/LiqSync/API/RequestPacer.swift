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
    private var sent: [Double] = []
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

    /// Waits until one more request fits in the window, then records it as sent.
    public func acquire() async throws {
        while true {
            let now = clock()
            sent.removeAll { $0 <= now - interval - margin }
            var capacity = maxRequests - sent.count
            if let remaining = serverRemaining { capacity = min(capacity, remaining) }
            if capacity > 0 {
                sent.append(now)
                if let remaining = serverRemaining { serverRemaining = remaining - 1 }
                return
            }
            let oldest = sent.first ?? now
            let wait = max(0.005, oldest + interval + margin - now)
            serverRemaining = nil
            try await Task.sleep(for: .seconds(wait))
        }
    }

    /// Learns the window and the budget left from a response's `X-RateLimit-*` headers.
    public func observe(headers: [String: String]) {
        if let max = headers["x-ratelimit-max"].flatMap(Int.init), max > 0 { maxRequests = max }
        if let ms = headers["x-ratelimit-interval-milliseconds"].flatMap(Double.init), ms > 0 { interval = ms / 1000 }
        if let remaining = headers["x-ratelimit-remaining"].flatMap(Int.init) {
            let ownCount = maxRequests - sent.filter { $0 > clock() - interval }.count
            serverRemaining = remaining < ownCount ? remaining : nil
        }
        if let daily = headers["x-ratelimit-daily-remaining"].flatMap(Int.init) { dailyRemaining = daily }
    }

    /// After a 429: the budget is gone until the oldest request leaves the window.
    public func observeThrottle() {
        serverRemaining = 0
        if sent.isEmpty { sent.append(clock()) }
    }
}
