import Foundation

/// A metrics report: headline figures and tables, each compared with the previous period.
/// Encoded as the JSON document `docs/metrics.md` describes (schema `liqsync-report/1`).
public struct Report: Sendable, Codable, Equatable {
    public static let schema = "liqsync-report/1"

    public var schema = Report.schema
    public var generatedAt: String
    public var period: Window
    public var figures: [Figure]
    public var tables: [Table]

    /// The period and the one it is compared with, as calendar days in `timeZone`.
    public struct Window: Sendable, Codable, Equatable {
        public var label: String
        public var from: String
        public var to: String
        public var previousFrom: String
        public var previousTo: String
        public var timeZone: String
        public var bucket: ReportBucket
    }

    /// One headline number, this period and the previous one.
    public struct Figure: Sendable, Codable, Equatable {
        public var id: String
        public var section: String
        public var title: String
        public var unit: Unit
        public var current: Double?
        public var previous: Double?
        /// (current − previous) / previous × 100, rounded to 0.1; null when previous is 0 or unknown.
        public var changePercent: Double?

        init(_ id: String, _ section: Section, _ title: String, _ unit: Unit, current: Double?, previous: Double?) {
            self.id = id
            self.section = section.rawValue
            self.title = title
            self.unit = unit
            self.current = current.map(Report.rounded)
            self.previous = previous.map(Report.rounded)
            changePercent = Report.change(current, previous)
        }
    }

    public enum Unit: String, Sendable, Codable {
        case count, percent, hours, ratio
    }

    public enum Section: String, Sendable, Codable, CaseIterable {
        case acquisition, leads, engagement, sales, appointments, tags, sync

        public var title: String {
            switch self {
            case .acquisition: "Acquisition"
            case .leads: "LocaliQ leads"
            case .engagement: "Engagement"
            case .sales: "Sales activity"
            case .appointments: "Appointments"
            case .tags: "Tags"
            case .sync: "Sync health"
            }
        }
    }

    /// A table of the report, with the chart drawn from it.
    public struct Table: Sendable, Codable, Equatable {
        public var id: String
        public var section: String
        public var title: String
        public var description: String
        public var columns: [Column]
        public var rows: [[Cell]]
        public var chart: Chart?
    }

    public struct Column: Sendable, Codable, Equatable {
        public var name: String
        public var title: String
        public var unit: Unit?

        init(_ name: String, _ title: String, _ unit: Unit? = nil) {
            self.name = name
            self.title = title
            self.unit = unit
        }
    }

    /// A table cell: text, a number, or empty (null).
    public enum Cell: Sendable, Codable, Equatable {
        case text(String)
        case number(Double)
        case empty

        public init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .empty
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else {
                self = .text(try container.decode(String.self))
            }
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let text): try container.encode(text)
            case .number(let number): try container.encode(number)
            case .empty: try container.encodeNil()
            }
        }

        public var number: Double? { if case .number(let value) = self { value } else { nil } }

        /// As a person reads it: integers without decimals, others to two places.
        public var display: String {
            switch self {
            case .text(let text): text
            case .number(let value): Report.format(value)
            case .empty: ""
            }
        }
    }

    /// How a table is drawn: the category column along the x axis, one series per value column.
    public struct Chart: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable {
            case bar, stackedBar, line
        }

        public var kind: Kind
        public var category: String
        public var series: [String]
    }

    static func rounded(_ value: Double) -> Double {
        (value * 100).rounded() / 100
    }

    static func change(_ current: Double?, _ previous: Double?) -> Double? {
        guard let current, let previous, previous != 0 else { return nil }
        return ((current - previous) / previous * 1000).rounded() / 10
    }

    public static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.2f", value)
    }

    static func percent(_ part: Double, of whole: Double) -> Double? {
        whole > 0 ? part / whole * 100 : nil
    }
}
