import Foundation

/// When and how long to wait before trying a call again: exponential backoff with full jitter,
/// a `Retry-After` header honoured when present.
public struct RetryPolicy: Sendable {
    /// Tries in all, the first included.
    public var maxAttempts: Int
    /// Seconds before the first retry; doubled each time.
    public var baseDelay: Double
    /// The longest wait between tries, in seconds.
    public var maxDelay: Double

    public init(maxAttempts: Int = 8, baseDelay: Double = 0.25, maxDelay: Double = 30) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait before retry number `attempt` (1 for the first retry), in seconds.
    public func delay(attempt: Int, retryAfter: String?) -> Double {
        if let retryAfter, let seconds = Double(retryAfter.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            return min(seconds, maxDelay * 4)
        }
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return Double.random(in: ceiling / 2...max(ceiling, ceiling / 2 + 0.001))
    }
}
