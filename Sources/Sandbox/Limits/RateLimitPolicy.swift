import Foundation

/// HighLevel's limits: a burst window (default 100 requests per 10 s) and a daily budget
/// (default 200,000). Tests scale both down to see them bite.
public struct RateLimitPolicy: Sendable, Codable, Equatable {
    public var burst: Int
    public var interval: TimeInterval
    public var daily: Int
    /// The length of the "day" window, so tests can see a daily reset without waiting a day.
    public var dayLength: TimeInterval
    public var enabled: Bool

    public init(burst: Int = 100, interval: TimeInterval = 10, daily: Int = 200_000, dayLength: TimeInterval = 86_400, enabled: Bool = true) {
        self.burst = burst
        self.interval = interval
        self.daily = daily
        self.dayLength = dayLength
        self.enabled = enabled
    }

    public static let highLevel = RateLimitPolicy()
    public static let off = RateLimitPolicy(enabled: false)

    /// Parses `off`, or `BURST/SECONDS`, optionally followed by `,DAILY` (for example `20/1,5000`).
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "off" || trimmed == "none" {
            self = .off
            return
        }
        let parts = trimmed.split(separator: ",", maxSplits: 1)
        let window = parts[0].split(separator: "/")
        guard window.count == 2, let burst = Int(window[0]), let seconds = Double(window[1]), burst > 0, seconds > 0
        else { return nil }
        var daily = 200_000
        if parts.count == 2 {
            guard let value = Int(parts[1]), value > 0 else { return nil }
            daily = value
        }
        self.init(burst: burst, interval: seconds, daily: daily)
    }
}
