import Foundation

/// Reads the time formats HighLevel mixes: ISO 8601 with or without fraction and offset,
/// `yyyy-MM-dd HH:mm:ss` (contact appointments; taken as UTC), and epoch milliseconds.
public enum Timestamp {
    private static let isoFractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let isoPlain = Date.ISO8601FormatStyle()

    public static func parse(_ value: JSON?) -> Date? {
        switch value {
        case .number(let ms)?: return Date(timeIntervalSince1970: ms / 1000)
        case .string(let text)?: return parse(text)
        default: return nil
        }
    }

    public static func parse(_ text: String) -> Date? {
        if let date = try? isoFractional.parse(text) { return date }
        if let date = try? isoPlain.parse(text) { return date }
        if text.count == 19, text.dropFirst(10).first == " " {
            return try? isoPlain.parse(text.replacingOccurrences(of: " ", with: "T") + "Z")
        }
        if let ms = Double(text), ms > 100_000_000_000 { return Date(timeIntervalSince1970: ms / 1000) }
        return nil
    }

    /// ISO 8601 in UTC with milliseconds, the form the mirror stores.
    public static func format(_ date: Date) -> String {
        isoFractional.format(date)
    }
}
