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

    /// ISO 8601 in UTC with milliseconds, the form the mirror stores (`2021-07-02T05:18:26.704Z`).
    /// Computed directly from the civil-date algorithm; a format style costs ten times more and
    /// this runs for every record pulled.
    public static func format(_ date: Date) -> String {
        let totalMs = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var days = totalMs >= 0 ? totalMs / 86_400_000 : (totalMs - 86_399_999) / 86_400_000
        let msOfDay = totalMs - days * 86_400_000
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        // Written as ASCII digits into 24 bytes: "yyyy-MM-ddTHH:mm:ss.SSSZ". Years beyond four
        // digits (only from nonsense input) take the slow, general path.
        guard (0...9999).contains(year) else { return isoFractional.format(date) }
        return String(unsafeUninitializedCapacity: 24) { buffer in
            func put(_ value: Int64, _ width: Int, at offset: Int) {
                var remaining = value
                for position in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[position] = UInt8(truncatingIfNeeded: 48 + remaining % 10)
                    remaining /= 10
                }
            }
            put(year, 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            put(month, 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            put(day, 2, at: 8)
            buffer[10] = UInt8(ascii: "T")
            put(msOfDay / 3_600_000, 2, at: 11)
            buffer[13] = UInt8(ascii: ":")
            put(msOfDay / 60_000 % 60, 2, at: 14)
            buffer[16] = UInt8(ascii: ":")
            put(msOfDay / 1000 % 60, 2, at: 17)
            buffer[19] = UInt8(ascii: ".")
            put(msOfDay % 1000, 3, at: 20)
            buffer[23] = UInt8(ascii: "Z")
            return 24
        }
    }
}
