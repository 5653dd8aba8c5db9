import Crypto
import Foundation
import LiqSync
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `liqsync listen` killed while events arrive.
@Suite("liqsync listen (built binary)")
struct ListenCrashTests {
    @Test("killed with SIGKILL while signed events arrive: every event it acknowledged is stored, and applied after a restart")
    func killedWhileReceiving() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try await CLIProcess.run(["init", "--workspace", folder.url.path, "--location-id", "loc1"])
        let key = Curve25519.Signing.PrivateKey()
        let workspace = Workspace(root: folder.url)
        var config = try workspace.loadConfig()
        config.webhooks.ed25519PublicKey = WebhookVerifier.pem(key.publicKey)
        try workspace.saveConfig(config)

        let listener = try CLIProcess(["listen", "--workspace", folder.url.path, "--port", "0"])
        let banner = try #require(try await listener.firstLine(timeout: 60))
        let port = try #require(banner.split(separator: ":").dropFirst(2).first.flatMap { Int($0.prefix { $0.isNumber }) })
        let url = try #require(URL(string: "http://127.0.0.1:\(port)/webhooks/highlevel"))
        let session = URLSession(configuration: .ephemeral)

        let acknowledged = Acknowledged()
        let keyBytes = key.rawRepresentation
        let senders = (0..<4).map { sender in
            Task {
                let key = try Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes)
                for index in 0..<400 {
                    let id = "wh-\(sender)-\(index)"
                    let body = try JSONSerialization.data(withJSONObject: [
                        "type": "NoteCreate", "locationId": "loc1", "webhookId": id, "timestamp": Timestamp.format(Date()),
                        "id": "note-\(sender)-\(index)", "contactId": "c\(index % 20)", "body": "Event \(index)",
                    ])
                    var request = URLRequest(url: url)
                    request.httpMethod = "POST"
                    request.httpBody = body
                    request.setValue(try key.signature(for: body).base64EncodedString(), forHTTPHeaderField: "x-ghl-signature")
                    guard let (_, response) = try? await session.data(for: request) else { return }
                    if (response as? HTTPURLResponse)?.statusCode == 200 { await acknowledged.add(id) }
                }
            }
        }
        // Kill it mid-stream, once it has acknowledged a good number.
        for _ in 0..<500 where await acknowledged.count < 150 { try await Task.sleep(for: .milliseconds(10)) }
        listener.signal(SIGKILL)
        for sender in senders { _ = await sender.result }
        _ = try await listener.exitCode(timeout: 30)
        let acked = await acknowledged.ids
        #expect(acked.count >= 150)
        #expect(acked.count < 1_600, "the kill landed while events were still arriving")

        let mirror = try MirrorDatabase(file: folder.url.appendingPathComponent("mirror.sqlite"))
        let stored = Set(try mirror.webhookEvents().map(\.webhookId))
        #expect(acked.isSubset(of: stored), "\(acked.subtracting(stored).count) acknowledged events were lost")

        // Started again, it applies what was stored but not yet applied.
        let again = try CLIProcess(["listen", "--workspace", folder.url.path, "--port", "0"])
        _ = try await again.firstLine(timeout: 60)
        #expect(try mirror.webhookEventCounts()["pending"] == nil)
        #expect(try mirror.recordCounts()["notes"] == stored.count)
        again.signal(SIGTERM)
        #expect(try await again.exitCode(timeout: 30) == 0)
    }
}

extension ListenCrashTests {
    @Test("without a configured key the listener refuses to start, with one sentence")
    func noKeys() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try await CLIProcess.run(["init", "--workspace", folder.url.path])
        let run = try await CLIProcess.run(["listen", "--workspace", folder.url.path, "--port", "0"], timeout: 60)
        #expect(run.code == 1)
        #expect(run.stderr.contains("No webhook public key is configured"))
    }
}

extension ListenCrashTests {
    @Test("a port in use is one sentence, exit 1")
    func portInUse() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try await CLIProcess.run(["init", "--workspace", folder.url.path])
        let workspace = Workspace(root: folder.url)
        var config = try workspace.loadConfig()
        config.webhooks.ed25519PublicKey = String(repeating: "ab", count: 32)
        try workspace.saveConfig(config)
        let first = try CLIProcess(["listen", "--workspace", folder.url.path, "--port", "0"])
        let banner = try #require(try await first.firstLine(timeout: 60))
        let port = try #require(banner.split(separator: ":").dropFirst(2).first.flatMap { Int($0.prefix { $0.isNumber }) })
        let second = try await CLIProcess.run(["listen", "--workspace", folder.url.path, "--port", String(port)], timeout: 60)
        first.signal(SIGTERM)
        _ = try await first.exitCode(timeout: 30)
        #expect(second.code == 1)
        #expect(second.stderr.contains("Port \(port) is in use; choose another with --port."))
    }
}

actor Acknowledged {
    private(set) var ids = Set<String>()
    var count: Int { ids.count }
    func add(_ id: String) { ids.insert(id) }
}
