import Crypto
import Foundation
import LiqSync
import Sandbox
import Testing
import _CryptoExtras

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Webhooks signed with real keys made here: what is stored, applied, and refused.
@Suite struct WebhookListenerTests {
    struct Setup {
        let root: URL
        let mirror: MirrorDatabase
        let signing = Curve25519.Signing.PrivateKey()
        let rsa: _RSA.Signing.PrivateKey
        let listener: WebhookListener

        init(now: Date = Date(), maxBody: Int = 1 << 20) throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-webhooks-\(UUID().uuidString)")
            mirror = try MirrorDatabase(file: root.appendingPathComponent("mirror.sqlite"))
            rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let verifier = try WebhookVerifier(ed25519: WebhookVerifier.pem(signing.publicKey), rsa: rsa.publicKey.pemRepresentation)
            listener = WebhookListener(
                database: mirror, verifier: verifier, locationId: "loc1", options: .init(port: 0, maxBodyBytes: maxBody), now: { now })
        }

        func remove() { try? FileManager.default.removeItem(at: root) }

        func ed25519(_ body: Data) throws -> String { try signing.signature(for: body).base64EncodedString() }
        func rsaSignature(_ body: Data) throws -> String { try rsa.signature(for: body, padding: .insecurePKCS1v1_5).rawRepresentation.base64EncodedString() }
    }

    static func event(_ fields: [String: Any], id: String = UUID().uuidString, timestamp: Date = Date()) throws -> Data {
        var object = fields
        object["webhookId"] = id
        object["timestamp"] = Timestamp.format(timestamp)
        object["locationId"] = object["locationId"] ?? "loc1"
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    @Test func ed25519EventIsStoredAndApplied() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let body = try Self.event(
            ["type": "ContactCreate", "id": "c1", "firstName": "Ann", "email": "ann@example.com", "tags": ["vip"], "dateAdded": "2026-11-20T10:00:00.000Z"],
            id: "wh-1")
        #expect(setup.listener.receive(body: body, ghlSignature: try setup.ed25519(body), whSignature: nil) == .stored("wh-1"))
        #expect(try setup.listener.applier.applyPending() == 1)
        let stored = try setup.mirror.storedRaw(.contacts, id: "c1")
        #expect(stored?["email"]?.text == "ann@example.com")
        #expect(stored?["type"] == nil && stored?["webhookId"] == nil, "the envelope is not part of the record")
        #expect(try setup.mirror.webhookEvents().map(\.status) == ["applied"])
    }

    @Test func legacyRSASignatureIsAccepted() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let body = try Self.event(["type": "NoteCreate", "id": "n1", "contactId": "c1", "body": "Called", "dateAdded": "2026-11-20T10:00:00.000Z"], id: "wh-rsa")
        #expect(setup.listener.receive(body: body, ghlSignature: nil, whSignature: try setup.rsaSignature(body)) == .stored("wh-rsa"))
        try setup.listener.applier.applyPending()
        #expect(try setup.mirror.storedRaw(.notes, id: "n1")?["body"]?.text == "Called")
    }

    @Test func badSignaturesReplaysAndOversizedBodiesAreRefusedAndNothingIsStored() throws {
        let setup = try Setup(maxBody: 2_000)
        defer { setup.remove() }
        let body = try Self.event(["type": "ContactCreate", "id": "c1"])
        let tampered = body + Data(" ".utf8)
        let other = Curve25519.Signing.PrivateKey()
        #expect(setup.listener.receive(body: tampered, ghlSignature: try setup.ed25519(body), whSignature: nil) == .refused(status: 401, reason: "x-ghl-signature does not verify"))
        #expect(setup.listener.receive(body: body, ghlSignature: try other.signature(for: body).base64EncodedString(), whSignature: nil).isRefused(401))
        #expect(setup.listener.receive(body: body, ghlSignature: nil, whSignature: try setup.rsaSignature(tampered)).isRefused(401))
        #expect(setup.listener.receive(body: body, ghlSignature: nil, whSignature: nil) == .refused(status: 401, reason: "the request is not signed"))
        let old = try Self.event(["type": "ContactCreate", "id": "c2"], timestamp: Date().addingTimeInterval(-3_600))
        #expect(setup.listener.receive(body: old, ghlSignature: try setup.ed25519(old), whSignature: nil).isRefused(401))
        let big = try Self.event(["type": "NoteCreate", "id": "n1", "contactId": "c1", "body": String(repeating: "x", count: 5_000)])
        #expect(setup.listener.receive(body: big, ghlSignature: try setup.ed25519(big), whSignature: nil).isRefused(413))
        #expect(try setup.mirror.webhookEvents().isEmpty)
        // A replay of an accepted event (same webhookId) is acknowledged but stored and applied once.
        #expect(setup.listener.receive(body: body, ghlSignature: try setup.ed25519(body), whSignature: nil).isStored)
        #expect(setup.listener.receive(body: body, ghlSignature: try setup.ed25519(body), whSignature: nil).isDuplicate)
        #expect(try setup.mirror.webhookEvents().count == 1)
    }

    @Test func eventsOfEveryKindChangeTheMirror() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let events: [[String: Any]] = [
            ["type": "ContactCreate", "id": "c1", "firstName": "Ann", "companyName": "Acme", "tags": ["a"], "customFields": [["id": "f1", "value": "x"]]],
            ["type": "ContactTagUpdate", "id": "c1", "tags": ["a", "b"]],
            ["type": "TaskCreate", "id": "t1", "contactId": "c1", "title": "Call", "dueDate": "2026-11-21T00:00:00.000Z", "dateAdded": "2026-11-20T09:00:00.000Z"],
            ["type": "TaskComplete", "id": "t1", "contactId": "c1", "title": "Call"],
            ["type": "NoteCreate", "id": "n1", "contactId": "c1", "body": "Hello"],
            ["type": "NoteUpdate", "id": "n1", "contactId": "c1", "body": "Hello again"],
            ["type": "AppointmentCreate", "appointment": ["id": "a1", "contactId": "c1", "appointmentStatus": "confirmed", "startTime": "2026-11-25T15:00:00.000Z", "dateAdded": "2026-11-20T09:30:00.000Z"]],
            ["type": "AppointmentUpdate", "appointment": ["id": "a1", "contactId": "c1", "appointmentStatus": "showed"]],
            ["type": "NoteDelete", "id": "n1", "contactId": "c1"],
            ["type": "ContactCreate", "id": "c9", "locationId": "another-location"],
            ["type": "AppInstall", "id": "x"],
        ]
        for fields in events {
            let body = try Self.event(fields)
            #expect(setup.listener.receive(body: body, ghlSignature: try setup.ed25519(body), whSignature: nil).isStored)
        }
        try setup.listener.applier.applyPending()
        let contact = try setup.mirror.storedRaw(.contacts, id: "c1")
        #expect(contact?["tags"] == .array([.string("a"), .string("b")]))
        #expect(contact?["companyName"]?.text == "Acme", "fields the update did not send are kept")
        #expect(try setup.mirror.storedRaw(.tasks, id: "t1")?["completed"] == .bool(true))
        #expect(try setup.mirror.storedRaw(.appointments, id: "a1")?["appointmentStatus"]?.text == "showed")
        #expect(try setup.mirror.storedRaw(.appointments, id: "a1")?["dateAdded"]?.text == "2026-11-20T09:30:00.000Z")
        #expect(try setup.mirror.storedRaw(.notes, id: "n1") == nil)
        #expect(try setup.mirror.storedRaw(.contacts, id: "c9") == nil)
        #expect(try setup.mirror.webhookEventCounts() == ["applied": 9, "ignored": 2])
        let deleted = try Self.event(["type": "ContactDelete", "id": "c1"])
        _ = setup.listener.receive(body: deleted, ghlSignature: try setup.ed25519(deleted), whSignature: nil)
        try setup.listener.applier.applyPending()
        #expect(try setup.mirror.recordCounts()["deletedContacts"] == 1)
    }

    /// The whole loop on this machine: the sandbox sends signed webhooks for changes made through
    /// its API to a running listener, which stores and applies them.
    @Test func sandboxWebhooksReachTheMirrorThroughHTTP() async throws {
        let setup = try Setup()
        defer { setup.remove() }
        let key = SandboxWebhookTarget.newEd25519Key()
        let target = SandboxWebhookTarget(url: URL(fileURLWithPath: "/"), ed25519PrivateKey: key)
        let verifier = try WebhookVerifier(ed25519: target.ed25519PublicKeyPEM, rsa: nil)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var configuration = SandboxConfiguration.quick(contacts: 5)
        configuration.webhook = nil
        let mirror = setup.mirror
        let listenerTask = Task {
            let listener = WebhookListener(database: mirror, verifier: verifier, locationId: nil, options: .init(port: 0))
            try await listener.run(signals: false) { port in
                portContinuation.yield(port)
                portContinuation.finish()
            }
        }
        var port = 0
        for await value in ports { port = value }
        var webhookTarget = target
        webhookTarget.url = try #require(URL(string: "http://127.0.0.1:\(port)/webhooks/highlevel"))
        configuration.webhook = webhookTarget
        try await SandboxServer.withRunning(configuration) { sandbox async throws in
            let workspace = try TestWorkspace(sandbox: sandbox.info)
            defer { workspace.remove() }
            let client = try workspace.client()
            let contactId = try #require(await sandbox.store.allContacts().first?.id)
            _ = try await client.updateContact(contactId, ["firstName": .string("Webhooked")])
            _ = try await client.createNote(for: contactId, ["body": .string("From the API")])
            await sandbox.webhooks?.drain()
            #expect(sandbox.webhooks?.stats.delivered == 2)
            // Applied in the background right after each was stored.
            for _ in 0..<100 where (try setup.mirror.webhookEventCounts()["applied"] ?? 0) < 2 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(try setup.mirror.storedRaw(.contacts, id: contactId)?["firstName"]?.text == "Webhooked")
            #expect(try setup.mirror.webhookEvents().map(\.type) == ["ContactUpdate", "NoteCreate"])
        }
        listenerTask.cancel()
        _ = await listenerTask.result
    }
}

extension WebhookListener.Outcome {
    func isRefused(_ status: Int) -> Bool { if case .refused(status, _) = self { true } else { false } }
    var isStored: Bool { if case .stored = self { true } else { false } }
    var isDuplicate: Bool { if case .duplicate = self { true } else { false } }
}
