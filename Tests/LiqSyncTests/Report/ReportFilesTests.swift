import Foundation
import LiqSync
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The files a report is written as: golden CSV and JSON, well-formed HTML holding every chart
/// and table, and the page as Chromium draws it.
@Suite struct ReportFilesTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    func writeFixtureReport(formats: [ReportFormat] = ReportFormat.allCases) throws -> (Report, URL, ReportFixture) {
        let fixture = try ReportFixture()
        try fixture.populate()
        let report = try Reporter(database: fixture.mirror).make(try ReportFixture.week(), generatedAt: ReportFixture.date("2026-11-23T12:00:00.000Z"))
        let folder = fixture.root.appendingPathComponent("reports/2026-W47")
        try ReportFiles.write(report, formats: formats, to: folder)
        return (report, folder, fixture)
    }

    /// Set LIQSYNC_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change.
    @Test func csvAndJSONMatchTheGoldenFiles() throws {
        let (report, folder, fixture) = try writeFixtureReport(formats: [.csv, .json])
        defer { fixture.remove() }
        let names = ["report.json", "figures.csv"] + report.tables.map { $0.id + ".csv" }
        let written = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(written == names.sorted())
        for name in names {
            let actual = try Data(contentsOf: folder.appendingPathComponent(name))
            let expectedURL = Self.golden.appendingPathComponent(name)
            if ProcessInfo.processInfo.environment["LIQSYNC_UPDATE_GOLDEN"] == "1" {
                try actual.write(to: expectedURL)
                continue
            }
            let expected = try Data(contentsOf: expectedURL)
            #expect(String(decoding: actual, as: UTF8.self) == String(decoding: expected, as: UTF8.self), "\(name) differs from its golden file")
        }
        // The JSON reads back as the same report.
        let decoded = try JSONDecoder().decode(Report.self, from: Data(contentsOf: folder.appendingPathComponent("report.json")))
        #expect(decoded == report)
    }

    @Test func csvCellsAreSpreadsheetSafe() throws {
        let fixture = try ReportFixture()
        defer { fixture.remove() }
        let contact = Contact(json: ReportFixture.json(["id": "x1", "dateAdded": "2026-11-17T12:00:00.000Z", "source": "=HYPERLINK(\"http://example.com\")"]))
        try fixture.mirror.storeContacts([contact].compactMap { $0 })
        let report = try Reporter(database: fixture.mirror).make(try ReportFixture.week())
        let folder = fixture.root.appendingPathComponent("out")
        try ReportFiles.write(report, formats: [.csv], to: folder)
        let text = try String(contentsOf: folder.appendingPathComponent("new_contacts_by_source.csv"), encoding: .utf8)
        #expect(text.contains("\"'=HYPERLINK(\"\"http://example.com\"\")\",1,0,"))
    }

    @Test func htmlIsWellFormedAndHoldsEveryChartAndTable() throws {
        let (report, folder, fixture) = try writeFixtureReport(formats: [.html])
        defer { fixture.remove() }
        let data = try Data(contentsOf: folder.appendingPathComponent("report.html"))
        let collector = ElementCollector()
        let parser = XMLParser(data: data)
        parser.delegate = collector
        #expect(parser.parse(), "report.html is not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        #expect(collector.count("table") == report.tables.count)
        #expect(collector.count("svg") == report.tables.filter { $0.chart != nil }.count)
        #expect(collector.count("title") == 1 + collector.count("svg") + collector.count("rect") - collector.legendRects + collector.count("circle"))
        for table in report.tables {
            #expect(collector.ids.contains(table.id), "no figure for table \(table.id)")
            if table.chart != nil {
                #expect(collector.ids.contains("chart-\(table.id)-title") && collector.ids.contains("chart-\(table.id)-desc"), "chart \(table.id) lacks a title or text alternative")
            }
        }
        for figure in report.figures { #expect(collector.ids.contains("figure-" + figure.id)) }
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains("<script"))
        #expect(!text.contains("src=\"") && !text.contains("href=\"http"), "the page loads something from outside")
        #expect(text.contains("@media print"))
        // The stacked chart of new contacts names its values for screen readers.
        #expect(text.contains("; Google Ads: 2026-11-16 1, 2026-11-17 0, "))
    }

    /// Debian's `chromium` (installed by .ci/run) draws the page to a PNG; a page that failed to
    /// draw compresses to almost nothing, so the report's PNG must be far larger than a blank one.
    @Test(.enabled(if: Chromium.path != nil, "Chromium is not installed (apt-get install chromium); the rendering test is skipped"))
    func chromiumRendersTheReport() throws {
        let (_, folder, fixture) = try writeFixtureReport(formats: [.html])
        defer { fixture.remove() }
        let blankPage = fixture.root.appendingPathComponent("blank.html")
        try Data("<!DOCTYPE html><html><head><title>blank</title></head><body></body></html>".utf8).write(to: blankPage)
        let reportPNG = try Chromium.screenshot(folder.appendingPathComponent("report.html"), in: fixture.root)
        let blankPNG = try Chromium.screenshot(blankPage, in: fixture.root)
        #expect(reportPNG.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "not a PNG")
        #expect(reportPNG.count > 8 * blankPNG.count, "the report drew as a blank page (\(reportPNG.count) bytes vs \(blankPNG.count) blank)")
    }
}

/// Counts elements and collects ids while parsing.
final class ElementCollector: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var ids = Set<String>()
    var legendRects = 0
    private var svgDepth = 0
    private var lastRectWasLegend = false

    func count(_ name: String) -> Int { counts[name] ?? 0 }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
        if let id = attributes["id"] { ids.insert(id) }
        // Legend swatches are the only rects drawn at y=10 and have no <title>.
        if name == "rect", attributes["y"] == "10", attributes["width"] == "12" { legendRects += 1 }
    }
}

enum Chromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static func screenshot(_ page: URL, in folder: URL) throws -> Data {
        guard let path else { throw CocoaError(.fileNoSuchFile) }
        let output = folder.appendingPathComponent(page.deletingPathExtension().lastPathComponent + ".png")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-dev-shm-usage",
            "--user-data-dir=\(folder.appendingPathComponent("chromium-profile").path)", "--window-size=1000,3000",
            "--screenshot=\(output.path)", page.absoluteString,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return try Data(contentsOf: output)
    }
}
