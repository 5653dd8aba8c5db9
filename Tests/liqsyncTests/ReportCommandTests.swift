import Foundation
import LiqSync
import Testing

/// `liqsync report` as a user runs it.
@Suite("liqsync report (built binary)")
struct ReportCommandTests {
    @Test("a report of an empty workspace is written with zeros, in the folder named after the period")
    func emptyWorkspace() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try await CLIProcess.run(["init", "--workspace", folder.url.path])
        let run = try await CLIProcess.run(["report", "--workspace", folder.url.path, "--from", "2026-11-02", "--to", "2026-11-08"])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Report 2026-11-02_2026-11-08: 2026-11-02 to 2026-11-08 (UTC), compared with 2026-10-26 to 2026-11-01."))
        #expect(run.stdout.contains("New contacts"))
        let out = folder.url.appendingPathComponent("reports/2026-11-02_2026-11-08")
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(files.contains("report.html") && files.contains("report.json") && files.contains("figures.csv") && files.contains("top_tags.csv"))
        let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: out.appendingPathComponent("report.json")))
        #expect(report.figures.first { $0.id == "new_contacts" }?.current == 0)
    }

    @Test("--format and --out choose the files and the folder; the default period is the last full week")
    func formatsAndFolder() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try await CLIProcess.run(["init", "--workspace", folder.url.path])
        let out = folder.url.appendingPathComponent("shared/weekly")
        let run = try await CLIProcess.run(["report", "--workspace", folder.url.path, "--format", "json", "--out", out.path, "--zone", "America/Chicago"])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["report.json"])
        let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: out.appendingPathComponent("report.json")))
        #expect(report.period.label.contains("-W"))
        #expect(report.period.timeZone == "America/Chicago")
    }

    @Test("bad dates, zones and formats get one sentence and a non-zero exit, and nothing is written")
    func badInput() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try await CLIProcess.run(["init", "--workspace", folder.url.path])
        let cases: [([String], String)] = [
            (["--from", "2026-13-01"], "is not a date; write it as YYYY-MM-DD"),
            (["--from", "2026-11-08", "--to", "2026-11-01"], "--from must be on or before --to"),
            (["--zone", "Mars/Olympus"], "The time zone 'Mars/Olympus' is not known"),
            (["--format", "pdf"], "The report format 'pdf' is not known"),
        ]
        for (arguments, message) in cases {
            let run = try await CLIProcess.run(["report", "--workspace", folder.url.path] + arguments)
            #expect(run.code != 0)
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        let reports = (try? FileManager.default.contentsOfDirectory(atPath: folder.url.appendingPathComponent("reports").path)) ?? []
        #expect(reports.isEmpty)
    }
}
