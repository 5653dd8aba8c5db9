import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `liqsync auth login` through the sandbox's consent stand-in, as a browser would follow it.
@Suite("liqsync auth login (built binary)")
struct AuthLoginTests {
    @Test("the printed URL leads back to the loopback listener; the grant is stored 0600 and works")
    func loginFlow() async throws {
        let sandbox = try await SandboxProcess(["--contacts", "5", "--rate-limit", "100000/1"])
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let flags = ["--workspace", directory.url.path]
        let initialized = try await CLIProcess.run(["init"] + flags + ["--base-url", sandbox.banner.baseURL])
        #expect(initialized.code == 0)
        let info = try JSONSerialization.jsonObject(with: try await sandbox.admin("GET", "/_sandbox/info")) as? [String: Any]
        let clientId = try unwrap(info?["clientId"] as? String)
        let secret = try unwrap(info?["clientSecret"] as? String)

        let login = try CLIProcess(
            ["auth", "login"] + flags + [
                "--client-id", clientId, "--redirect-port", "0", "--authorize-url", sandbox.banner.baseURL + "/oauth/chooselocation",
                "--timeout", "60",
            ], environment: ["LIQSYNC_CLIENT_SECRET": secret])
        var authorize: String?
        for _ in 0..<200 where authorize == nil {
            authorize = login.standardOutput.split(separator: "\n").first { $0.hasPrefix("http") }.map(String.init)
            try await Task.sleep(for: .milliseconds(50))
        }
        let url = try unwrap(URL(string: try unwrap(authorize, "the authorize URL")))
        #expect(url.query?.contains("state=") == true)
        let (page, _) = try await URLSession.shared.data(from: url)
        #expect(String(decoding: page, as: UTF8.self).contains("signed in"))
        let code = try await login.exitCode(timeout: 60)
        #expect(code == 0, "\(login.standardError)")
        #expect(!login.standardOutput.contains(secret))

        let status = try await CLIProcess.run(["auth", "status", "--json"] + flags)
        #expect(status.stdout.contains("\"kind\" : \"oauth\""))
        #expect(status.stdout.contains(sandbox.banner.locationId))
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.url.appendingPathComponent("credentials.json").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let pull = try await CLIProcess.run(["pull"] + flags)
        #expect(pull.code == 0, "\(pull.stderr)")
        await sandbox.stop()
    }

    @Test("a redirect with the wrong state is refused")
    func wrongState() async throws {
        let sandbox = try await SandboxProcess(["--contacts", "1"])
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let flags = ["--workspace", directory.url.path]
        _ = try await CLIProcess.run(["init"] + flags + ["--base-url", sandbox.banner.baseURL])
        let login = try CLIProcess(
            ["auth", "login"] + flags + ["--client-id", "sandbox-client", "--redirect-port", "0", "--timeout", "30"],
            environment: ["LIQSYNC_CLIENT_SECRET": "irrelevant"])
        var authorize: String?
        for _ in 0..<200 where authorize == nil {
            authorize = login.standardOutput.split(separator: "\n").first { $0.hasPrefix("http") }.map(String.init)
            try await Task.sleep(for: .milliseconds(50))
        }
        let printed = try unwrap(URLComponents(string: try unwrap(authorize)))
        let redirect = try unwrap(printed.queryItems?.first { $0.name == "redirect_uri" }?.value)
        _ = try? await URLSession.shared.data(from: try unwrap(URL(string: redirect + "?code=abc&state=forged")))
        let code = try await login.exitCode(timeout: 30)
        #expect(code == 1)
        #expect(login.standardError.contains("different state"))
        await sandbox.stop()
    }
}
