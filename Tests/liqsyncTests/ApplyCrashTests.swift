import Foundation
import LiqSync
import Testing

/// An apply killed at random points and run again applies each change exactly once.
@Suite("liqsync apply killed and rerun (built binary)")
struct ApplyCrashTests {
    @Test("killed at 20 or more random points, then rerun: every change applied exactly once, by the sandbox's log")
    func killedAndResumed() async throws {
        // A scaled limit makes the apply take a few seconds, so the kills land inside it.
        let sandbox = try await SandboxProcess(["--contacts", "300", "--rate-limit", "20/1", "--seed", "7"])
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let flags = try await PullCommandTests.workspace(sandbox, token: sandbox.banner.token, in: folder)
        let pull = try await CLIProcess.run(["pull", "--entities", "contacts"] + flags)
        #expect(pull.code == 0, "\(pull.stderr)")
        let drop = folder.url.appendingPathComponent("drop")
        let fixtures = try await CLIProcess.run(["fixtures", "--out", drop.path, "--contacts", "160", "--sandbox-contacts", "300", "--sandbox-seed", "7"])
        #expect(fixtures.code == 0)
        let imported = try await CLIProcess.run(["import", drop.appendingPathComponent("localiq-contacts.csv").path] + flags)
        #expect(imported.code == 0, "\(imported.stdout)\(imported.stderr)")
        let planned = try await CLIProcess.run(["plan", "--json"] + flags)
        let planPath = try #require(try JSON.parse(Data(planned.stdout.utf8))["path"]?.string)
        let conflicts = try ChangeSetFile.read(URL(fileURLWithPath: planPath)).changes.filter { $0.conflict != nil }
        let resolutions = conflicts.flatMap { ["--resolve", "\($0.id)=localiq"] }
        let review = try await CLIProcess.run(["review", planPath, "--accept", "all", "--target", "highlevel"] + resolutions)
        #expect(review.code == 0, "\(review.stderr)")
        let set = try ChangeSetFile.read(URL(fileURLWithPath: planPath))
        let applicable = set.changes.filter(\.isApplicable)
        #expect(applicable.count > 60)

        try await sandbox.admin("DELETE", "/_sandbox/requests")
        var generator = SystemRandomNumberGenerator()
        var killed = 0
        var attempts = 0
        while killed < 22, attempts < 80 {
            attempts += 1
            let process = try CLIProcess(["apply", planPath, "--to", "highlevel"] + flags)
            try await Task.sleep(for: .milliseconds(Int.random(in: 120...450, using: &generator)))
            if process.isRunning {
                process.signal(SIGKILL)
                killed += 1
            }
            _ = try await process.exitCode(timeout: 60)
        }
        #expect(killed >= 20, "only \(killed) applies were still running when killed")
        let finish = try await CLIProcess.run(["apply", planPath, "--to", "highlevel", "--json"] + flags)
        #expect(finish.code == 0, "\(finish.stdout)\(finish.stderr)")
        let summary = try JSON.parse(Data(finish.stdout.utf8))
        #expect(summary["complete"] == .bool(true))

        // By the sandbox's log: one successful write per change, never two.
        let writes = try await sandbox.requests().filter { $0.method != "GET" && $0.status < 300 }
        let creates = applicable.filter { $0.op == .create }
        // A create killed after HighLevel answered is found by the duplicate search on the rerun and
        // linked, so there are never more POSTs than creates …
        #expect(writes.filter { $0.method == "POST" && $0.path == "/contacts/" }.count <= creates.count)
        // … and, pulled afresh, every person the plan created exists exactly once.
        let pullAgain = try await CLIProcess.run(["pull", "--entities", "contacts", "--full"] + flags)
        #expect(pullAgain.code == 0)
        let mirror = try MirrorDatabase(file: folder.url.appendingPathComponent("mirror.sqlite"))
        var byEmail: [String: Int] = [:]
        for contact in try mirror.planContacts() where !contact.deleted {
            if let email = contact.emailKey { byEmail[email, default: 0] += 1 }
        }
        for change in creates {
            let email = try #require(change.after["email"]?.string?.lowercased())
            #expect(byEmail[email] == 1, "\(email) exists \(byEmail[email] ?? 0) times")
        }
        var perPath: [String: Int] = [:]
        for write in writes where write.method == "PUT" || write.path.hasSuffix("/tags") { perPath["\(write.method) \(write.path)", default: 0] += 1 }
        #expect(perPath.values.allSatisfy { $0 == 1 }, "\(perPath.filter { $0.value > 1 })")
        let updates = applicable.filter { $0.entity == .contact && $0.op == .update }
        #expect(perPath.keys.filter { $0.hasPrefix("PUT") }.count <= updates.count)
        await sandbox.stop()
    }
}
