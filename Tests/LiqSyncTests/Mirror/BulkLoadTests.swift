import Foundation
import LiqSync
import Testing

/// The first pull into an empty mirror loads contacts without secondary indexes and FTS
/// triggers, and always puts them back.
@Suite struct BulkLoadTests {
    static func contacts(_ count: Int, from start: Int = 0) -> [Contact] {
        (start..<start + count).compactMap { index in
            Contact(json: .object([
                "id": .string("c\(index)"), "firstName": .string("Person\(index)"), "lastName": .string("Zephyrine"),
                "email": .string("p\(index)@example.com"), "dateUpdated": .string("2026-11-20T10:00:00.000Z"),
            ]))
        }
    }

    func mirror() throws -> (MirrorDatabase, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-bulk-\(UUID().uuidString)")
        return (try MirrorDatabase(file: root.appendingPathComponent("mirror.sqlite")), root)
    }

    @Test func aFirstLoadRestoresIndexesAndSearchAtTheEndOfTheContactPhase() async throws {
        let (mirror, root) = try mirror()
        defer { try? FileManager.default.removeItem(at: root) }
        let before = try mirror.schemaObjects(on: .contacts)
        #expect(before.contains("contacts_email_key") && before.contains("__contacts_fts_ai"))
        var state = try await mirror.beginPull(full: true, entities: ["contacts"], since: nil)
        #expect(try mirror.schemaObjects(on: .contacts).isEmpty, "dropped for the load")
        state = try await mirror.commitContactPage(Self.contacts(300), state: state, pulledAt: Date())

        // Killed here: opened again with the pull still to resume, the load goes on…
        let reopened = try MirrorDatabase(file: root.appendingPathComponent("mirror.sqlite"))
        #expect(try reopened.schemaObjects(on: .contacts).isEmpty)
        state = try await reopened.commitContactPage(Self.contacts(200, from: 300), state: state, pulledAt: Date())
        state = try await reopened.finishContactPhase(state, at: Date())
        #expect(try reopened.schemaObjects(on: .contacts) == before)
        #expect(try reopened.search("Zephyrine", in: [.contacts], limit: 1000).count == 500)
        #expect(try reopened.integrityCheck() == "ok")
    }

    @Test func anIncrementalPullIntoAFilledMirrorKeepsItsIndexes() async throws {
        let (mirror, root) = try mirror()
        defer { try? FileManager.default.removeItem(at: root) }
        try mirror.storeContacts(Self.contacts(10))
        let before = try mirror.schemaObjects(on: .contacts)
        let state = try await mirror.beginPull(full: false, entities: ["contacts"], since: nil)
        #expect(try mirror.schemaObjects(on: .contacts) == before)
        _ = try await mirror.commitContactPage(Self.contacts(5, from: 10), state: state, pulledAt: Date())
        #expect(try mirror.search("Person12", in: [.contacts], limit: 5).count == 1, "indexed as written")
    }
}
