import Foundation

/// How long each point of a report's time series is.
public enum ReportBucket: String, Sendable, Codable, CaseIterable {
    case day, week, month
}

/// The period a report covers, its day boundaries set by a time zone, and the previous period
/// of the same length it is compared with.
public struct ReportPeriod: Sendable, Equatable {
    /// One point of the series: a day, a week (Monday first) or a month, cut to the period.
    public struct Bucket: Sendable, Equatable {
        public var label: String
        public var start: Date
        public var end: Date
    }

    /// First instant of the period (midnight in `zone`).
    public var start: Date
    /// First instant after the period.
    public var end: Date
    public var zone: TimeZone
    public var bucket: ReportBucket
    /// Names the report folder: `2026-W47`, `2026-11`, `2026-11-28` or `2026-11-01_2026-11-14`.
    public var label: String
    /// The same number of days immediately before.
    public var previousStart: Date

    /// The period from `firstDay` through `lastDay` (inclusive, as calendar days in `zone`).
    public init(firstDay: DateComponents, lastDay: DateComponents, zone: TimeZone, label: String? = nil, bucket: ReportBucket? = nil) throws {
        let calendar = Self.calendar(zone)
        guard let start = calendar.date(from: Self.day(firstDay)), let last = calendar.date(from: Self.day(lastDay)),
            let end = calendar.date(byAdding: .day, value: 1, to: last)
        else { throw ReportError.badDate("the period's days are not calendar dates") }
        guard start < end else { throw ReportError.badPeriod("--from must be on or before --to") }
        let days = calendar.dateComponents([.day], from: start, to: end).day ?? 1
        guard days <= 3_660 else { throw ReportError.badPeriod("a report covers at most ten years; shorten --from/--to") }
        self.start = start
        self.end = end
        self.zone = zone
        self.bucket = bucket ?? (days <= 62 ? .day : days <= 400 ? .week : .month)
        self.label = label ?? "\(Self.dayText(start, zone))_\(Self.dayText(last, zone))"
        previousStart = calendar.date(byAdding: .day, value: -days, to: start) ?? start
    }

    /// The last full day, week (Monday to Sunday) or month before `now`, in `zone`.
    public static func lastFull(_ kind: ReportBucket, before now: Date, zone: TimeZone) throws -> ReportPeriod {
        let calendar = calendar(zone)
        let today = calendar.startOfDay(for: now)
        switch kind {
        case .day:
            let day = calendar.date(byAdding: .day, value: -1, to: today) ?? today
            let parts = calendar.dateComponents([.year, .month, .day], from: day)
            return try ReportPeriod(firstDay: parts, lastDay: parts, zone: zone, label: dayText(day, zone), bucket: .day)
        case .week:
            let weekday = calendar.component(.weekday, from: today)  // 1 = Sunday
            let sinceMonday = (weekday + 5) % 7
            let thisMonday = calendar.date(byAdding: .day, value: -sinceMonday, to: today) ?? today
            let monday = calendar.date(byAdding: .day, value: -7, to: thisMonday) ?? today
            let sunday = calendar.date(byAdding: .day, value: 6, to: monday) ?? today
            let iso = isoWeek(monday, zone)
            return try ReportPeriod(
                firstDay: calendar.dateComponents([.year, .month, .day], from: monday), lastDay: calendar.dateComponents([.year, .month, .day], from: sunday),
                zone: zone, label: String(format: "%04d-W%02d", iso.year, iso.week), bucket: .day)
        case .month:
            let parts = calendar.dateComponents([.year, .month], from: today)
            let thisMonth = calendar.date(from: DateComponents(year: parts.year, month: parts.month, day: 1)) ?? today
            let first = calendar.date(byAdding: .month, value: -1, to: thisMonth) ?? today
            let last = calendar.date(byAdding: .day, value: -1, to: thisMonth) ?? today
            let firstParts = calendar.dateComponents([.year, .month, .day], from: first)
            return try ReportPeriod(
                firstDay: firstParts, lastDay: calendar.dateComponents([.year, .month, .day], from: last), zone: zone,
                label: String(format: "%04d-%02d", firstParts.year ?? 0, firstParts.month ?? 0), bucket: .day)
        }
    }

    /// Reads `yyyy-MM-dd`.
    public static func parseDay(_ text: String) throws -> DateComponents {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 3, let year = parts[0], let month = parts[1], let day = parts[2], (1...12).contains(month), (1...31).contains(day),
            (1900...9999).contains(year)
        else { throw ReportError.badDate("'\(text)' is not a date; write it as YYYY-MM-DD") }
        return DateComponents(year: year, month: month, day: day)
    }

    /// The series points of this period (`previous`: of the previous period, same offsets).
    public func buckets(previous: Bool = false) -> [Bucket] {
        let calendar = Self.calendar(zone)
        let first = previous ? previousStart : start
        let last = previous ? start : end
        var result: [Bucket] = []
        var cursor = first
        while cursor < last {
            let next: Date
            switch bucket {
            case .day: next = calendar.date(byAdding: .day, value: 1, to: cursor) ?? last
            case .week:
                let weekday = calendar.component(.weekday, from: cursor)
                next = calendar.date(byAdding: .day, value: 7 - (weekday + 5) % 7, to: cursor) ?? last
            case .month:
                let parts = calendar.dateComponents([.year, .month], from: cursor)
                let monthStart = calendar.date(from: DateComponents(year: parts.year, month: parts.month, day: 1)) ?? cursor
                next = calendar.date(byAdding: .month, value: 1, to: monthStart) ?? last
            }
            let cut = min(max(next, calendar.date(byAdding: .hour, value: 1, to: cursor) ?? last), last)
            let label: String
            switch bucket {
            case .day, .week: label = Self.dayText(cursor, zone)
            case .month: label = String(Self.dayText(cursor, zone).prefix(7))
            }
            result.append(Bucket(label: label, start: cursor, end: cut))
            cursor = cut
        }
        return result
    }

    public var firstDayText: String { Self.dayText(start, zone) }
    public var lastDayText: String { Self.dayText(end.addingTimeInterval(-1), zone) }
    public var previousFirstDayText: String { Self.dayText(previousStart, zone) }
    public var previousLastDayText: String { Self.dayText(start.addingTimeInterval(-1), zone) }

    static func calendar(_ zone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }

    static func day(_ parts: DateComponents) -> DateComponents {
        DateComponents(year: parts.year, month: parts.month, day: parts.day, hour: 0)
    }

    static func dayText(_ date: Date, _ zone: TimeZone) -> String {
        let parts = calendar(zone).dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    static func isoWeek(_ date: Date, _ zone: TimeZone) -> (year: Int, week: Int) {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        return (parts.yearForWeekOfYear ?? 0, parts.weekOfYear ?? 0)
    }
}

/// A report cannot be made as asked.
public enum ReportError: Error, LocalizedError, Equatable {
    case badDate(String)
    case badPeriod(String)
    case unknownZone(String)
    case unknownFormat(String)

    public var errorDescription: String? {
        switch self {
        case .badDate(let detail): "The date is not valid: \(detail)."
        case .badPeriod(let detail): "The report period is not valid: \(detail)."
        case .unknownZone(let zone): "The time zone '\(zone)' is not known; use an IANA name such as America/Chicago (set 'timezone' in liqsync.yaml)."
        case .unknownFormat(let format): "The report format '\(format)' is not known; use html, csv, json or a comma-separated list of them."
        }
    }
}

extension ReportPeriod {
    /// The period a command asks for: `--from`/`--to` (either may be left out: `--from` alone
    /// runs to yesterday, `--to` alone starts one `--period` earlier), else the last full
    /// `--period` (a week by default). Given with dates, `--period` sets the series' bucket.
    public static func resolve(from: String?, to: String?, period: ReportBucket?, zone: TimeZone, now: Date = Date()) throws -> ReportPeriod {
        if from == nil, to == nil { return try lastFull(period ?? .week, before: now, zone: zone) }
        let calendar = calendar(zone)
        let yesterday = calendar.date(byAdding: .day, value: -1, to: calendar.startOfDay(for: now)) ?? now
        let last = try to.map(parseDay) ?? calendar.dateComponents([.year, .month, .day], from: yesterday)
        let first: DateComponents
        if let from {
            first = try parseDay(from)
        } else {
            guard let lastDate = calendar.date(from: day(last)) else { throw ReportError.badDate("--to is not a calendar date") }
            let span: DateComponents
            switch period ?? .week {
            case .day: span = DateComponents(day: 0)
            case .week: span = DateComponents(day: -6)
            case .month: span = DateComponents(month: -1, day: 1)
            }
            first = calendar.dateComponents([.year, .month, .day], from: calendar.date(byAdding: span, to: lastDate) ?? lastDate)
        }
        return try ReportPeriod(firstDay: first, lastDay: last, zone: zone, bucket: from != nil && to != nil ? period : nil)
    }
}
