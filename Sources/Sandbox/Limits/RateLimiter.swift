import Foundation

/// Counts requests per budget in a sliding burst window and a fixed daily window, and says
/// what the `X-RateLimit-*` headers should read.
public actor RateLimiter {
    public struct Decision: Sendable {
        public var allowed: Bool
        public var remaining: Int
        public var dailyRemaining: Int
        public var policy: RateLimitPolicy

        /// The five headers HighLevel sends on every API response; none when limits are off
        /// (there is no budget to report).
        public var headers: [(String, String)] {
            guard policy.enabled else { return [] }
            return [
                ("X-RateLimit-Limit-Daily", String(policy.daily)),
                ("X-RateLimit-Daily-Remaining", String(max(0, dailyRemaining))),
                ("X-RateLimit-Interval-Milliseconds", String(Int(policy.interval * 1000))),
                ("X-RateLimit-Max", String(policy.burst)),
                ("X-RateLimit-Remaining", String(max(0, remaining))),
            ]
        }
    }

    private struct Budget {
        var recent: [Double] = []
        var head = 0
        var day: Int64 = 0
        var usedToday = 0
    }

    public private(set) var policy: RateLimitPolicy
    private var budgets: [String: Budget] = [:]
    private let clock: @Sendable () -> Double

    init(policy: RateLimitPolicy, clock: @escaping @Sendable () -> Double) {
        self.policy = policy
        self.clock = clock
    }

    public func setPolicy(_ policy: RateLimitPolicy) {
        self.policy = policy
        budgets.removeAll()
    }

    /// Counts one request against `key` unless it is over a limit. Refused requests are not counted.
    func admit(_ key: String) -> Decision {
        guard policy.enabled else {
            return Decision(allowed: true, remaining: policy.burst, dailyRemaining: policy.daily, policy: policy)
        }
        let time = clock()
        var budget = budgets[key] ?? Budget()
        let day = Int64((time / policy.dayLength).rounded(.down))
        if budget.day != day {
            budget.day = day
            budget.usedToday = 0
        }
        while budget.head < budget.recent.count, budget.recent[budget.head] <= time - policy.interval {
            budget.head += 1
        }
        if budget.head > 1024, budget.head * 2 > budget.recent.count {
            budget.recent.removeFirst(budget.head)
            budget.head = 0
        }
        let inWindow = budget.recent.count - budget.head
        let allowed = inWindow < policy.burst && budget.usedToday < policy.daily
        if allowed {
            budget.recent.append(time)
            budget.usedToday += 1
        }
        budgets[key] = budget
        let used = budget.recent.count - budget.head
        return Decision(
            allowed: allowed, remaining: policy.burst - used, dailyRemaining: policy.daily - budget.usedToday,
            policy: policy)
    }
}
