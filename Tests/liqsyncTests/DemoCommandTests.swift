import Foundation
import LiqSync
import Testing

/// `liqsync demo` as a newcomer runs it.
@Suite("liqsync demo (built binary)")
struct DemoCommandTests {
    @Test("the demo pulls, imports a LocaliQ export, plans, applies the safe part, tells where things are, and is safe to run again")
    func demoRunsTwice() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let target = directory.url.appendingPathComponent("demo")
        let first = try await CLIProcess.run(["demo", "--dir", target.path, "--contacts", "80"])
        #expect(first.code == 0, "\(first.stderr)")
        #expect(first.stdout.contains("4. liqsync nightly --export "))
        #expect(first.stdout.contains("import  ok  already 0, files 1, read 60, rejected 0, staged 60"))
        #expect(first.stdout.contains("plan    ok  accepted "))
        #expect(first.stdout.contains("conflicts held for you"))
        #expect(first.stdout.contains("failed 0, files 4, stale 0"))
        #expect(first.stdout.contains("Where everything is"))
        #expect(first.stdout.contains("liqsync review "))
        let mirror = try MirrorDatabase(file: target.appendingPathComponent("mirror.sqlite"))
        let afterFirst = try #require(try mirror.recordCounts()["contacts"])
        #expect(afterFirst > 80, "the LocaliQ people new to HighLevel were created")
        let exports = try FileManager.default.contentsOfDirectory(atPath: target.appendingPathComponent("exports").path)
        #expect(exports.contains { $0.hasSuffix("-contacts-create-001.csv") })
        #expect(first.stdout.contains("report  ok  tables 13"))
        #expect(first.stdout.contains("prune   ok  imports 0"))
        let reports = try FileManager.default.contentsOfDirectory(atPath: target.appendingPathComponent("reports").path)
        let reportFolder = target.appendingPathComponent("reports").appendingPathComponent(try #require(reports.first))
        for file in ["report.html", "report.json", "figures.csv", "new_contacts_by_source.csv"] {
            let size = (try FileManager.default.attributesOfItem(atPath: reportFolder.appendingPathComponent(file).path)[.size] as? Int) ?? 0
            #expect(size > 0, "\(file) is missing or empty")
        }
        let logs = try FileManager.default.contentsOfDirectory(atPath: target.appendingPathComponent("logs").path)
        #expect(!logs.isEmpty)

        let second = try await CLIProcess.run(["demo", "--dir", target.path, "--contacts", "80"])
        #expect(second.code == 0, "\(second.stderr)")
        #expect(second.stdout.contains("import  ok  already 1, files 1, read 0"))
        #expect(second.stdout.contains("apply   skipped  nothing accepted"))
        #expect(try mirror.recordCounts()["contacts"] == afterFirst)
    }
}
