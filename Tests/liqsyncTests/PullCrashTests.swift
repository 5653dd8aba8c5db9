import Foundation
import LiqSync
import Testing

/// A pull killed at random points and run again ends with the same mirror as one that was
/// never interrupted, and the database stays sound.
@Suite("liqsync pull killed and rerun (built binary)")
struct PullCrashTests {
    @Test("killed at 24 random points, then rerun: the same mirror as an uninterrupted pull; integrity ok")
    func killedAndResumed() async throws {
        let sandbox = try await SandboxProcess(["--contacts", "1500", "--rate-limit", "100000/1", "--seed", "3"])
        let reference = try TemporaryDirectory()
        let crashed = try TemporaryDirectory()
        defer {
            reference.remove()
            crashed.remove()
        }
        let referenceFlags = try await PullCommandTests.workspace(sandbox, token: sandbox.banner.token, in: reference)
        let crashedFlags = try await PullCommandTests.workspace(sandbox, token: sandbox.banner.token, in: crashed)

        let full = try await CLIProcess.run(["pull"] + referenceFlags)
        #expect(full.code == 0, "\(full.stderr)")

        let fullRequests = try await sandbox.requests().count
        try await sandbox.admin("DELETE", "/_sandbox/requests")
        var generator = SystemRandomNumberGenerator()
        var killed = 0
        var attempts = 0
        while killed < 24, attempts < 60 {
            attempts += 1
            let process = try CLIProcess(["pull"] + crashedFlags)
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...250, using: &generator)))
            if process.isRunning {
                process.signal(SIGKILL)
                killed += 1
            }
            _ = try await process.exitCode(timeout: 30)
        }
        #expect(killed >= 20, "only \(killed) pulls were still running when killed")
        let finish = try await CLIProcess.run(["pull", "--json"] + crashedFlags)
        #expect(finish.code == 0, "\(finish.stderr)")
        // Resumed, not restarted: all the killed runs together repeat only the calls in flight
        // when each was killed (a page, a few contacts' children).
        let crashedRequests = try await sandbox.requests().count
        #expect(crashedRequests <= fullRequests + killed * 20, "\(crashedRequests) requests against \(fullRequests) for one pull")

        let expected = try MirrorDatabase(file: reference.url.appendingPathComponent("mirror.sqlite"))
        let actual = try MirrorDatabase(file: crashed.url.appendingPathComponent("mirror.sqlite"))
        #expect(try actual.integrityCheck() == "ok")
        let want = try expected.rawSnapshot()
        let got = try actual.rawSnapshot()
        for table in ["contacts", "tasks", "notes", "appointments"] {
            #expect(got[table]?.count == want[table]?.count, "\(table): \(got[table]?.count ?? 0) vs \(want[table]?.count ?? 0)")
            #expect(got[table] == want[table], "\(table) differs")
        }
        #expect(try await actual.activePull() == nil)
        await sandbox.stop()
    }
}
