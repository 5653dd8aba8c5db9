import Foundation
import Sandbox
import Testing

/// The admin path: edits as if made in HighLevel, the request log, and saving to a file.
@Suite("Sandbox admin path and persistence")
struct SandboxAdminTests {
    @Test("admin edits move dateUpdated, need the admin key, and the request log lists API calls")
    func editsAndLog() async throws {
        try await SandboxServer.withRunning(.testing()) { sandbox async throws in
            let contact = try #require(await sandbox.store.allContacts().first)
            var admin = SandboxHTTP(sandbox.info, token: nil)
            admin.version = nil
            let refused = try await admin.send("PATCH", "/_sandbox/contacts/\(contact.id)", json: ["city": "Boise"])
            #expect(refused.status == 401)
            let edited = try await admin.send(
                "PATCH", "/_sandbox/contacts/\(contact.id)", json: ["city": "Boise"], headers: ["X-Sandbox-Admin": sandbox.info.adminKey])
            #expect(edited.status == 200)
            let stored = try await sandbox.store.contact(contact.id)
            #expect(stored.city == "Boise")
            #expect(stored.dateUpdated > contact.dateUpdated)

            let api = SandboxHTTP(sandbox.info)
            _ = try await api.send("GET", "/contacts/\(contact.id)?x=1")
            let log = try await admin.send("GET", "/_sandbox/requests", headers: ["X-Sandbox-Admin": sandbox.info.adminKey])
            let entries = log.body.array ?? []
            let last = try #require(entries.last)
            #expect(last["method"]?.string == "GET")
            #expect(last["path"]?.string == "/contacts/\(contact.id)")
            #expect(last["status"]?.int == 200)
            #expect(!String(decoding: log.data, as: UTF8.self).contains(sandbox.info.token))
        }
    }

    @Test("data saved to a file comes back the same on the next start; the same seed gives the same data")
    func persistence() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = SandboxConfiguration.testing(contacts: 50)
        configuration.dataFile = directory.appendingPathComponent("sandbox.json")
        let saved = try await SandboxServer.withRunning(configuration) { sandbox async throws in
            let added = await sandbox.store.insert(firstName: "Saved", lastName: nil, email: "saved@example.com", phone: nil)
            #expect(await sandbox.store.contactCount == 51)
            return added.id
        }
        try await SandboxServer.withRunning(configuration) { sandbox async throws in
            #expect(await sandbox.store.contactCount == 51)
            #expect(try await sandbox.store.contact(saved).firstName == "Saved")
        }
        let a = SeedGenerator(seed: 5, contactCount: 30).generate()
        let b = SeedGenerator(seed: 5, contactCount: 30).generate()
        let c = SeedGenerator(seed: 6, contactCount: 30).generate()
        #expect(a == b)
        #expect(a != c)
        #expect(a.contacts.allSatisfy { ($0.email ?? "x@example.com").lowercased().hasSuffix("@example.com") })
        #expect(a.contacts.compactMap(\.phone).allSatisfy { $0.dropFirst(5).hasPrefix("55501") })
    }
}
