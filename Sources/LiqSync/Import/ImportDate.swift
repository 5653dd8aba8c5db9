import Foundation

/// Dates as LocaliQ and spreadsheet exports write them, read into UTC.
///
/// Accepted, in order: ISO 8601 (`2023-01-04T15:31:11-08:00`, with or without a fraction, `Z`,
/// an offset or no zone; a space instead of `T`), `2021-08-04 20:02:29 UTC`, `yyyy-MM-dd`,
/// `yyyy/MM/dd`, US `M/d/yyyy[ h:mm[:ss][ AM|PM]]` (or `M-d-yyyy`), and with `dayFirst`
/// `d/M/yyyy` instead. Values without a zone are read in `zone`. Two-digit years are refused
/// rather than guessed.
public struct ImportDate: Sendable {
    public let zone: TimeZone
    public let dayFirst: Bool
    /// An explicit `strftime`-like pattern from a mapping (`yyyy`, `MM`, `M`, `dd`, `d`, `HH`,
    /// `H`, `hh`, `h`, `mm`, `ss`, `a`); nil reads the usual shapes.
    public let format: String?
    private let pattern: [UInt8]?

    public init(zone: TimeZone = .gmt, dayFirst: Bool = false, format: String? = nil) {
        self.zone = zone
        self.dayFirst = dayFirst
        self.format = format
        pattern = format.map { Array($0.utf8) }
    }

    private struct Fields {
        var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0
        var nanos = 0
        var offset: Int?
    }

    /// The instant, or nil when the text is not a date this reader knows.
    public func parse(_ raw: String) -> Date? {
        // Read in place: a native string's bytes are contiguous (a copy only for bridged text).
        if let instant = raw.utf8.withContiguousStorageIfAvailable({ parse(bytes: $0) }) { return instant }
        return Array(raw.utf8).withUnsafeBufferPointer { parse(bytes: $0) }
    }

    private func parse(bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 || bytes[end - 1] == 0x0D || bytes[end - 1] == 0x0A { end -= 1 }
        guard end > start else { return nil }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<end])
        let fields: Fields?
        if let pattern {
            fields = Self.parse(text, pattern: pattern)
        } else if text.count >= 10, text.prefix(4).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            text[text.startIndex + 4] == 0x2D || text[text.startIndex + 4] == 0x2F
        {
            fields = Self.parseYearFirst(text)
        } else {
            fields = parseMonthOrDayFirst(text)
        }
        guard let fields, Self.valid(fields) else { return nil }
        let local = Self.epochSeconds(fields)
        let offset = fields.offset ?? zoneOffset(localSeconds: local)
        return Date(timeIntervalSince1970: Double(local - offset) + Double(fields.nanos) / 1e9)
    }

    /// The zone's offset at a local wall-clock time (checked twice across DST changes).
    private func zoneOffset(localSeconds: Int) -> Int {
        if zone.secondsFromGMT() == 0, zone.identifier == "GMT" || zone.identifier == "UTC" { return 0 }
        let first = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(localSeconds)))
        return zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(localSeconds - first)))
    }

    private static func valid(_ f: Fields) -> Bool {
        guard f.year >= 1000, f.year <= 9999, (1...12).contains(f.month), f.day >= 1, f.hour < 24, f.minute < 60, f.second < 61 else {
            return false
        }
        let leap = (f.year % 4 == 0 && f.year % 100 != 0) || f.year % 400 == 0
        let days =
            switch f.month {
            case 2: leap ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        return f.day <= days
    }

    /// Seconds since 1970 of the fields read as UTC (days from civil, Howard Hinnant's method).
    private static func epochSeconds(_ f: Fields) -> Int {
        let y = f.month <= 2 ? f.year - 1 : f.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (f.month + (f.month > 2 ? -3 : 9)) + 2) / 5 + f.day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + f.hour * 3600 + f.minute * 60 + f.second
    }

    /// A cursor over the bytes with small readers for numbers and literals.
    private struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var index: Int
        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
            index = bytes.startIndex
        }
        var atEnd: Bool { index >= bytes.endIndex }
        var current: UInt8? { atEnd ? nil : bytes[index] }

        mutating func number(min: Int, max: Int) -> Int? {
            var value = 0
            var count = 0
            while let byte = current, byte >= 0x30, byte <= 0x39, count < max {
                value = value * 10 + Int(byte - 0x30)
                count += 1
                index += 1
            }
            return count >= min ? value : nil
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard current == byte else { return false }
            index += 1
            return true
        }

        mutating func skipSpaces() {
            while current == 0x20 { index += 1 }
        }

        /// `Z`, `UTC`, `GMT`, `+HH:MM`, `+HHMM`, `+HH`; nil when none is there, throws-as-nil
        /// through `valid` when malformed.
        mutating func zone() -> Int?? {
            skipSpaces()
            guard let byte = current else { return .some(nil) }
            if byte == 0x5A || byte == 0x7A {
                index += 1
                return atEnd ? .some(0) : nil
            }
            let rest = String(decoding: bytes[index...], as: UTF8.self).uppercased()
            if rest == "UTC" || rest == "GMT" {
                index = bytes.endIndex
                return .some(0)
            }
            guard byte == 0x2B || byte == 0x2D else { return nil }
            index += 1
            guard let hours = number(min: 2, max: 2), hours <= 14 else { return nil }
            _ = take(0x3A)
            let minutes = atEnd ? 0 : number(min: 2, max: 2)
            guard let minutes, minutes < 60, atEnd else { return nil }
            let seconds = hours * 3600 + minutes * 60
            return .some(byte == 0x2D ? -seconds : seconds)
        }

        /// `HH:mm[:ss[.fraction]]`, optionally with ` AM`/` PM` when `meridiem` is allowed.
        mutating func time(into fields: inout Fields, meridiem: Bool) -> Bool {
            guard let hour = number(min: 1, max: 2), take(0x3A), let minute = number(min: 2, max: 2) else { return false }
            fields.hour = hour
            fields.minute = minute
            if take(0x3A) {
                guard let second = number(min: 2, max: 2) else { return false }
                fields.second = second
                if take(0x2E) || take(0x2C) {
                    var scale = 100_000_000
                    var digits = 0
                    while let byte = current, byte >= 0x30, byte <= 0x39 {
                        if digits < 9 { fields.nanos += Int(byte - 0x30) * scale }
                        scale /= 10
                        digits += 1
                        index += 1
                    }
                    guard digits > 0 else { return false }
                }
            }
            if meridiem {
                let save = index
                skipSpaces()
                if let byte = current, byte | 0x20 == 0x61 || byte | 0x20 == 0x70 {
                    index += 1
                    guard current.map({ $0 | 0x20 == 0x6D }) == true else { return false }
                    index += 1
                    guard (1...12).contains(fields.hour) else { return false }
                    if byte | 0x20 == 0x61 { fields.hour = fields.hour == 12 ? 0 : fields.hour } else if fields.hour != 12 { fields.hour += 12 }
                } else {
                    index = save
                }
            }
            return true
        }
    }

    /// `yyyy-MM-dd[(T| )HH:mm[:ss[.f]]][zone]` and `yyyy/MM/dd`.
    private static func parseYearFirst(_ text: UnsafeBufferPointer<UInt8>) -> Fields? {
        var cursor = Cursor(text)
        var fields = Fields()
        guard let year = cursor.number(min: 4, max: 4), let separator = cursor.current, separator == 0x2D || separator == 0x2F else { return nil }
        cursor.index += 1
        guard let month = cursor.number(min: 1, max: 2), cursor.take(separator), let day = cursor.number(min: 1, max: 2) else { return nil }
        (fields.year, fields.month, fields.day) = (year, month, day)
        if cursor.atEnd { return fields }
        guard cursor.take(0x54) || cursor.take(0x74) || cursor.take(0x20) else { return nil }
        cursor.skipSpaces()
        guard cursor.time(into: &fields, meridiem: false) else { return nil }
        guard let zone = cursor.zone() else { return nil }
        fields.offset = zone
        return cursor.atEnd ? fields : nil
    }

    /// `M/d/yyyy[ h:mm[:ss][ AM|PM]]`, `M-d-yyyy`; day first when configured.
    private func parseMonthOrDayFirst(_ text: UnsafeBufferPointer<UInt8>) -> Fields? {
        var cursor = Cursor(text)
        var fields = Fields()
        guard let first = cursor.number(min: 1, max: 2), let separator = cursor.current, separator == 0x2F || separator == 0x2D || separator == 0x2E
        else { return nil }
        cursor.index += 1
        guard let second = cursor.number(min: 1, max: 2), cursor.take(separator), let year = cursor.number(min: 4, max: 4) else { return nil }
        (fields.year, fields.month, fields.day) = dayFirst ? (year, second, first) : (year, first, second)
        if cursor.atEnd { return fields }
        guard cursor.take(0x20) || cursor.take(0x54) else { return nil }
        cursor.skipSpaces()
        guard cursor.time(into: &fields, meridiem: true) else { return nil }
        guard let zone = cursor.zone() else { return nil }
        fields.offset = zone
        return cursor.atEnd ? fields : nil
    }

    /// A mapping's explicit pattern.
    private static func parse(_ text: UnsafeBufferPointer<UInt8>, pattern: [UInt8]) -> Fields? {
        var cursor = Cursor(text)
        var fields = Fields()
        var pm: Bool?
        var index = 0
        while index < pattern.count {
            let letter = pattern[index]
            var run = 1
            while index + run < pattern.count, pattern[index + run] == letter { run += 1 }
            index += run
            switch letter {
            case 0x79:  // y
                guard run == 4, let value = cursor.number(min: 4, max: 4) else { return nil }
                fields.year = value
            case 0x4D:  // M
                guard let value = cursor.number(min: run, max: 2) else { return nil }
                fields.month = value
            case 0x64:  // d
                guard let value = cursor.number(min: run, max: 2) else { return nil }
                fields.day = value
            case 0x48, 0x68:  // H, h
                guard let value = cursor.number(min: run, max: 2) else { return nil }
                fields.hour = value
            case 0x6D:  // m
                guard let value = cursor.number(min: run, max: 2) else { return nil }
                fields.minute = value
            case 0x73:  // s
                guard let value = cursor.number(min: run, max: 2) else { return nil }
                fields.second = value
            case 0x61:  // a
                guard let byte = cursor.current, byte | 0x20 == 0x61 || byte | 0x20 == 0x70 else { return nil }
                cursor.index += 1
                guard cursor.current.map({ $0 | 0x20 == 0x6D }) == true else { return nil }
                cursor.index += 1
                pm = byte | 0x20 == 0x70
            default:
                for _ in 0..<run { guard cursor.take(letter) else { return nil } }
            }
        }
        if let pm {
            guard (1...12).contains(fields.hour) else { return nil }
            if pm, fields.hour != 12 { fields.hour += 12 } else if !pm, fields.hour == 12 { fields.hour = 0 }
        }
        guard let zone = cursor.zone() else { return nil }
        fields.offset = zone
        return cursor.atEnd ? fields : nil
    }
}
