import Foundation
import Testing

/// init, auth, pull and search as a user runs them: the built binary against a sandbox process.
@Suite("liqsync init, auth, pull and search (built binary)")
struct PullCommandTests {
    static func workspace(_ sandbox: SandboxProcess, token: String, in directory: TemporaryDirectory) async throws -> [String] {
        let flags = ["--workspace", directory.url.path]
        let initialized = try await CLIProcess.run(["init"] + flags + ["--base-url", sandbox.banner.baseURL, "--location-id", sandbox.banner.locationId])
        #expect(initialized.code == 0, "\(initialized.stderr)")
        let tokenFile = directory.url.appendingPathComponent("token.txt")
        try Data((token + "\n").utf8).write(to: tokenFile)
        let stored = try await CLIProcess.run(["sh", "-c", "exec \"$0\" auth token --workspace \"$1\" < \"$2\"", CLIProcess.binary.path, directory.url.path, tokenFile.path], shell: true)
        #expect(stored.code == 0, "\(stored.stderr)")
        try FileManager.default.removeItem(at: tokenFile)
        return flags
    }

    @Test("init, auth token, auth status, auth test, pull and search work and exit 0; nothing prints the token")
    func endToEnd() async throws {
        let sandbox = try await SandboxProcess(["--contacts", "60", "--rate-limit", "100000/1"])
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let flags = try await Self.workspace(sandbox, token: sandbox.banner.token, in: directory)
        var outputs: [String] = []

        let status = try await CLIProcess.run(["auth", "status"] + flags)
        #expect(status.code == 0)
        #expect(status.stdout.contains("Private Integration token"))
        outputs.append(status.stdout + status.stderr)

        let check = try await CLIProcess.run(["auth", "test"] + flags)
        #expect(check.code == 0, "\(check.stderr)")
        for resource in ["contacts", "tasks", "notes", "appointments", "write"] {
            #expect(check.stdout.contains(resource))
        }
        #expect(!check.stdout.contains("missing scope"))
        outputs.append(check.stdout + check.stderr)
        let scopes = try await CLIProcess.run(["auth", "status"] + flags)
        #expect(scopes.stdout.contains("contacts.readonly contacts.write"), "\(scopes.stdout)")

        let pull = try await CLIProcess.run(["pull", "--json"] + flags)
        #expect(pull.code == 0, "\(pull.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(pull.stdout.utf8)) as? [String: Any]
        let contacts = (summary?["counts"] as? [String: Any])?["contacts"] as? [String: Any]
        #expect((contacts?["new"] as? NSNumber)?.intValue == 60)
        outputs.append(pull.stdout + pull.stderr)

        let again = try await CLIProcess.run(["pull"] + flags)
        #expect(again.code == 0)
        #expect(again.stdout.contains("incremental"))
        outputs.append(again.stdout + again.stderr)

        let search = try await CLIProcess.run(["search", "example", "--in", "contacts", "--limit", "3", "--json"] + flags)
        #expect(search.code == 0, "\(search.stderr)")
        let hits = try JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [[String: Any]]
        #expect(hits?.count == 3)
        outputs.append(search.stdout + search.stderr)

        let empty = try await CLIProcess.run(["search", "()*"] + flags)
        #expect(empty.code == 1)
        #expect(empty.stderr.contains("no words to look for"))

        for output in outputs { #expect(!output.contains(sandbox.banner.token)) }
        await sandbox.stop()
    }

    @Test("a read-only token makes auth test report the missing write scope without failing")
    func readOnlyToken() async throws {
        let sandbox = try await SandboxProcess(["--contacts", "5", "--rate-limit", "100000/1"])
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let flags = try await Self.workspace(sandbox, token: sandbox.banner.readOnlyToken, in: directory)
        let check = try await CLIProcess.run(["auth", "test"] + flags)
        #expect(check.code == 0, "\(check.stderr)")
        let writeLine = check.stdout.split(separator: "\n").first { $0.hasPrefix("write") }
        #expect(writeLine?.contains("missing scope") == true, "\(check.stdout)")
        let status = try await CLIProcess.run(["auth", "status", "--json"] + flags)
        #expect(status.stdout.contains("contacts.readonly"))
        #expect(!status.stdout.contains("contacts.write"))
        let requests = try await sandbox.requests()
        #expect(!requests.contains { $0.status >= 200 && $0.status < 300 && $0.method != "GET" && $0.path != "/contacts/search" })
        await sandbox.stop()
    }

    @Test("a bad token makes auth test and pull fail with exit 1 and one sentence")
    func badToken() async throws {
        let sandbox = try await SandboxProcess(["--contacts", "5", "--rate-limit", "100000/1"])
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let flags = try await Self.workspace(sandbox, token: "pit-wrong", in: directory)
        let check = try await CLIProcess.run(["auth", "test"] + flags)
        #expect(check.code == 1)
        let pull = try await CLIProcess.run(["pull"] + flags)
        #expect(pull.code == 1)
        #expect(pull.stderr.contains("HighLevel refused the credential"))
        #expect(!pull.stderr.contains("pit-wrong"))
        await sandbox.stop()
    }

    /// HighLevel's limit (100 requests / 10 s) and a pull of 199 requests: the window allows 100
    /// in the first 10 s and 100 in the next, so a pacer that wastes nothing finishes early in the
    /// second window, without a 429. "Allowed" counts 100 for every window started.
    @Test("with HighLevel's limit a pull meets no 429 and uses at least 80% of what the window allows")
    func pacing() async throws {
        let sandbox = try await SandboxProcess(["--contacts", "66", "--rate-limit", "100/10"])
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let flags = try await Self.workspace(sandbox, token: sandbox.banner.token, in: directory)
        try await sandbox.admin("DELETE", "/_sandbox/requests")
        let started = Date()
        let pull = try await CLIProcess.run(["pull", "--json"] + flags)
        let seconds = Date().timeIntervalSince(started)
        #expect(pull.code == 0, "\(pull.stderr)")
        let requests = try await sandbox.requests()
        #expect(requests.count == 199)
        #expect(!requests.contains { $0.status == 429 })
        #expect(seconds >= 10, "finished in \(seconds) s, faster than the window allows")
        let allowed = 100 * ((seconds / 10).rounded(.down) + 1)
        #expect(Double(requests.count) / allowed >= 0.8, "used \(requests.count) of \(allowed) allowed in \(seconds) s")
        await sandbox.stop()
    }
}
