import Foundation

/// The time formats HighLevel uses on the wire.
enum SandboxTime {
    private static let iso = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let isoPlain = Date.ISO8601FormatStyle()

    /// `2021-07-02T05:18:26.704Z`: contacts, tasks and notes.
    static func iso8601(_ date: Date) -> String {
        iso.format(date)
    }

    /// Epoch milliseconds, as the deprecated list's `startAfter` and search cursors carry them.
    static func epochMilliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// `2021-07-16 11:00:00`: the contact-appointments example in the spec (UTC, no zone).
    static func appointmentTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d",
            c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// Reads an ISO 8601 time with or without fractional seconds, or epoch milliseconds.
    static func parse(_ value: JSONValue) -> Date? {
        switch value {
        case .number(let ms): return Date(timeIntervalSince1970: ms / 1000)
        case .string(let text):
            if let date = try? iso.parse(text) { return date }
            if let date = try? isoPlain.parse(text) { return date }
            if let ms = Double(text) { return Date(timeIntervalSince1970: ms / 1000) }
            return nil
        default: return nil
        }
    }
}
