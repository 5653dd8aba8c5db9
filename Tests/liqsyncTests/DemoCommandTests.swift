import Foundation
import LiqSync
import Testing

/// `liqsync demo` as a newcomer runs it.
@Suite("liqsync demo (built binary)")
struct DemoCommandTests {
    @Test("the demo pulls into its workspace, searches, tells where things are, and is safe to run again")
    func demoRunsTwice() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let target = directory.url.appendingPathComponent("demo")
        let first = try await CLIProcess.run(["demo", "--dir", target.path, "--contacts", "80"])
        #expect(first.code == 0, "\(first.stderr)")
        #expect(first.stdout.contains("Where everything is"))
        #expect(first.stdout.contains("liqsync search"))
        let mirror = try MirrorDatabase(file: target.appendingPathComponent("mirror.sqlite"))
        #expect(try mirror.recordCounts()["contacts"] == 80)
        let logs = try FileManager.default.contentsOfDirectory(atPath: target.appendingPathComponent("logs").path)
        #expect(!logs.isEmpty)

        let second = try await CLIProcess.run(["demo", "--dir", target.path, "--contacts", "80"])
        #expect(second.code == 0, "\(second.stderr)")
        #expect(second.stdout.contains("contacts         0        0        0"))
        #expect(try mirror.recordCounts()["contacts"] == 80)
    }
}
