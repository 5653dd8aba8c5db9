import Foundation
import GRDB

/// Builds a `Report` from the mirror and staging. Every metric is one SQL aggregation over an
/// indexed time range, run for this period and the previous one together; Swift only arranges
/// the aggregated rows (a few per bucket) into tables.
public struct Reporter: Sendable {
    public let database: MirrorDatabase
    /// At most this many rows in the per-source, per-campaign and per-tag tables; the rest are
    /// summed into one "(others)" row.
    public var tableLimit = 25

    public init(database: MirrorDatabase) {
        self.database = database
    }

    public func make(_ period: ReportPeriod, generatedAt: Date = Date()) throws -> Report {
        let context = QueryContext(period: period)
        return try database.writer.read { db in
            if ProcessInfo.processInfo.environment["LIQSYNC_PROFILE_SQL"] == "1" {
                db.trace(options: .profile) { event in
                    if case .profile(let statement, let duration) = event, duration > 0.05 {
                        let sql = String(statement.sql.prefix(200)).replacingOccurrences(of: "\n", with: " ")
                        FileHandle.standardError.write(Data("\(String(format: "%.3f", duration)) s  \(sql)\n".utf8))
                    }
                }
            }
            // Sorts for GROUP BY and DISTINCT stay in memory (a year's report sorts a million keys).
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            var builder = ReportBuilder(period: period, limit: tableLimit)
            try builder.acquisition(db, context)
            try builder.leads(db, context)
            try builder.engagement(db, context)
            try builder.sales(db, context)
            try builder.appointments(db, context)
            try builder.tags(db, context)
            try builder.sync(db, context)
            return Report(
                generatedAt: Timestamp.format(generatedAt),
                period: Report.Window(
                    label: period.label, from: period.firstDayText, to: period.lastDayText, previousFrom: period.previousFirstDayText,
                    previousTo: period.previousLastDayText, timeZone: period.zone.identifier, bucket: period.bucket),
                figures: builder.figures, tables: builder.tables)
        }
    }
}

/// The two windows (0: this period, 1: the previous one) and their buckets as SQL common
/// table expressions with bound values: `w(win, lo, hi)` and `b(win, idx, lo, hi)`.
struct QueryContext {
    let windows: String
    let buckets: String
    let windowArguments: StatementArguments
    let bucketArguments: StatementArguments
    let labels: [String]

    init(period: ReportPeriod) {
        windows = "w(win, lo, hi) AS (VALUES (0, ?, ?), (1, ?, ?))"
        windowArguments = [
            Timestamp.format(period.start), Timestamp.format(period.end), Timestamp.format(period.previousStart), Timestamp.format(period.start),
        ]
        let current = period.buckets()
        let previous = period.buckets(previous: true)
        var values: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        for (win, list) in [(0, current), (1, previous)] {
            for (index, bucket) in list.enumerated() {
                values.append("(\(win), \(index), ?, ?)")
                arguments += [Timestamp.format(bucket.start), Timestamp.format(bucket.end)]
            }
        }
        buckets = "b(win, idx, lo, hi) AS (VALUES \(values.joined(separator: ", ")))"
        bucketArguments = StatementArguments(arguments)
        labels = current.map(\.label)
    }
}

/// Aggregated counts keyed by window and a key.
struct WindowCounts {
    var current: [String: Double] = [:]
    var previous: [String: Double] = [:]

    mutating func add(win: Int, key: String, _ value: Double) {
        if win == 0 { current[key, default: 0] += value } else { previous[key, default: 0] += value }
    }

    var currentTotal: Double { current.values.reduce(0, +) }
    var previousTotal: Double { previous.values.reduce(0, +) }

    /// Keys by this period's value, then the previous period's, then name.
    var rankedKeys: [String] {
        Set(current.keys).union(previous.keys).sorted { a, b in
            let (ca, cb) = (current[a] ?? 0, current[b] ?? 0)
            if ca != cb { return ca > cb }
            let (pa, pb) = (previous[a] ?? 0, previous[b] ?? 0)
            if pa != pb { return pa > pb }
            return a < b
        }
    }
}

/// Series values keyed by window and bucket index.
struct SeriesCounts {
    var values: [Int: [Int: Double]] = [:]

    mutating func add(win: Int, idx: Int, _ value: Double) {
        values[win, default: [:]][idx, default: 0] += value
    }

    func value(_ win: Int, _ idx: Int) -> Double { values[win]?[idx] ?? 0 }
    func total(_ win: Int) -> Double { values[win]?.values.reduce(0, +) ?? 0 }
}
