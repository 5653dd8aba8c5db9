import Foundation

/// Which files a report is written as.
public enum ReportFormat: String, Sendable, CaseIterable, Codable {
    case html, csv, json

    /// Reads `html,csv,json` (any order, any subset).
    public static func parseList(_ text: String) throws -> [ReportFormat] {
        var result: [ReportFormat] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !part.isEmpty {
            guard let format = ReportFormat(rawValue: part) else { throw ReportError.unknownFormat(part) }
            if !result.contains(format) { result.append(format) }
        }
        guard !result.isEmpty else { throw ReportError.unknownFormat(text) }
        return result
    }
}

/// Writes a report's files into a folder: `report.html`, `report.json`, and one CSV per table
/// plus `figures.csv`. Each file is written whole to a temporary name, then renamed.
public enum ReportFiles {
    @discardableResult
    public static func write(_ report: Report, formats: [ReportFormat], to folder: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var written: [URL] = []
        if formats.contains(.html) {
            let url = folder.appendingPathComponent("report.html")
            try AtomicFile.write(Data(ReportHTML.render(report).utf8), to: url)
            written.append(url)
        }
        if formats.contains(.json) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let url = folder.appendingPathComponent("report.json")
            try AtomicFile.write(try encoder.encode(report) + Data("\n".utf8), to: url)
            written.append(url)
        }
        if formats.contains(.csv) {
            written.append(try writeCSV(folder.appendingPathComponent("figures.csv"), header: ["id", "section", "title", "unit", "current", "previous", "change_percent"],
                rows: report.figures.map { figure in
                    [figure.id, figure.section, figure.title, figure.unit.rawValue, figure.current.map(Report.format) ?? "",
                     figure.previous.map(Report.format) ?? "", figure.changePercent.map(Report.format) ?? ""]
                }))
            for table in report.tables {
                written.append(try writeCSV(folder.appendingPathComponent(table.id + ".csv"), header: table.columns.map(\.name),
                    rows: table.rows.map { $0.map(\.display) }))
            }
        }
        return written
    }

    /// Spreadsheet-safe: cells a spreadsheet would run as a formula are prefixed with `'`.
    /// Tables are small (aggregates), so each file is built in memory and written atomically.
    private static func writeCSV(_ url: URL, header: [String], rows: [[String]]) throws -> URL {
        var text = ""
        for row in [header] + rows {
            text += row.map { CSVWriter.field($0, formulaGuard: .prefixApostrophe) }.joined(separator: ",") + "\r\n"
        }
        try AtomicFile.write(Data(text.utf8), to: url)
        return url
    }
}
