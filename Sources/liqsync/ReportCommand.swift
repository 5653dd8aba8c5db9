import ArgumentParser
import Foundation
import LiqSync

/// `liqsync report`: marketing and sales metrics for a period, as files.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write marketing and sales metrics for a period as HTML (with charts), CSV and JSON.",
        discussion: """
            Reads the mirror (HighLevel) and staging (LocaliQ imports) — no network. Days start at \
            midnight in the workspace's time zone ('timezone' in liqsync.yaml). Every figure is \
            compared with the previous period of the same length. By default the report covers the \
            last full week (Monday to Sunday) and is written to reports/<period>/. Definitions of \
            every metric: docs/metrics.md.

            Examples:
              liqsync report
              liqsync report --period month --format html
              liqsync report --from 2026-10-01 --to 2026-10-31 --out /srv/share/october
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Option(help: "First day of the period (YYYY-MM-DD).")
    var from: String?

    @Option(help: "Last day of the period, included (YYYY-MM-DD).")
    var to: String?

    @Option(help: "day, week or month: the last full one when no dates are given; with dates, the series' step.")
    var period: ReportBucket?

    @Option(help: "Comma-separated: html, csv, json.")
    var format: String = "html,csv,json"

    @Option(help: "The folder to write into (default: reports/<period> in the workspace).")
    var out: String?

    @Option(help: "Time zone for day boundaries (default: the workspace's).")
    var zone: String?

    @Flag(help: "Print the headline figures as JSON.")
    var json = false

    func run() throws {
        let workspace = options.resolvedWorkspace
        let config = try workspace.loadConfig()
        let zoneName = zone ?? config.timezone
        guard let timeZone = TimeZone(identifier: zoneName) else { throw ReportError.unknownZone(zoneName) }
        let formats = try ReportFormat.parseList(format)
        let window = try ReportPeriod.resolve(from: from, to: to, period: period, zone: timeZone)
        let report = try Reporter(database: try workspace.openMirror()).make(window)
        let folder = out.map { URL(fileURLWithPath: $0) } ?? workspace.reports.appendingPathComponent(window.label)
        let files = try ReportFiles.write(report, formats: formats, to: folder)
        if json {
            Output.line(JSONOutput.render(report.figures))
            return
        }
        Output.line("Report \(window.label): \(window.firstDayText) to \(window.lastDayText) (\(zoneName)), compared with \(window.previousFirstDayText) to \(window.previousLastDayText).")
        for figure in report.figures.prefix(12) {
            let value = figure.current.map(Report.format) ?? "—"
            let change = figure.changePercent.map { String(format: " (%+.1f%%)", $0) } ?? ""
            Output.line("  \(figure.title.padding(toLength: 46, withPad: " ", startingAt: 0)) \(value)\(change)")
        }
        Output.line("Wrote \(files.count) files to \(folder.path)/" + (formats.contains(.html) ? " — open report.html" : ""))
    }
}

extension ReportBucket: ExpressibleByArgument {}
