import Foundation
import LiqSync
import Testing

/// `liqsync nightly` as cron runs it.
@Suite("liqsync nightly (built binary)")
struct NightlyCommandTests {
    @Test("a second run while one holds the lock exits 75 and names the holder")
    func lockedExits75() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try await CLIProcess.run(["init", "--workspace", folder.url.path])
        let drop = folder.url.appendingPathComponent("drop")
        try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
        let lock = try NightlyLock(url: folder.url.appendingPathComponent("nightly.lock"))
        let run = try await CLIProcess.run(["nightly", "--workspace", folder.url.path, "--export", drop.path])
        lock.release()
        #expect(run.code == 75)
        #expect(run.stderr.contains("Another nightly run is in progress (process \(getpid())"))
    }

    @Test("a policy file with a typo is refused before anything runs")
    func badPolicy() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try await CLIProcess.run(["init", "--workspace", folder.url.path])
        let policy = folder.url.appendingPathComponent("policy.yaml")
        try Data("accept:\n  create_in_hilevel: true\n".utf8).write(to: policy)
        let run = try await CLIProcess.run(["nightly", "--workspace", folder.url.path, "--export", folder.url.path, "--policy", policy.path])
        #expect(run.code == 1)
        #expect(run.stderr.contains("accept.create_in_hilevel is not a setting"))
        #expect(!FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("logs/nightly.log").path))
    }

    @Test("--show-policy prints the defaults as a policy file")
    func showPolicy() async throws {
        let run = try await CLIProcess.run(["nightly", "--export", "/tmp", "--show-policy"])
        #expect(run.code == 0)
        #expect(run.stdout.contains("create_in_highlevel: true") && run.stdout.contains("max_changes: 5000"))
    }
}
