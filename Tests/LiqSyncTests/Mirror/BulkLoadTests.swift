import Foundation
import GRDB
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

    /// The SQL of the contacts' email and phone key indexes, read from the file itself.
    static func keyIndexSQL(_ file: URL) throws -> [String] {
        let queue = try DatabaseQueue(path: file.path)
        defer { try? queue.close() }
        return try queue.read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE name IN ('contacts_email_key', 'contacts_phone_key') ORDER BY name")
        }
    }

    @Test("a load killed by an earlier version, resumed after the upgrade, puts back the key indexes as they are now")
    func anUpgradeDuringALoadPutsBackTheNewKeyIndexes() async throws {
        let (mirror, root) = try mirror()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("mirror.sqlite")
        let now = try Self.keyIndexSQL(file)
        #expect(now.count == 2 && now.allSatisfy { $0.contains("deleted_at") }, "live holders are found in the index alone")
        var state = try await mirror.beginPull(full: true, entities: ["contacts"], since: nil)
        state = try await mirror.commitContactPage(Self.contacts(300), state: state, pulledAt: Date())
        // As an earlier version left it: its key indexes on the list to put back, the migration not run.
        let queue = try DatabaseQueue(path: file.path)
        try await queue.write { db in
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v20-live-key-indexes'")
            try db.execute(
                sql: """
                    UPDATE checkpoints SET value = replace(replace(value, 'email_key, deleted_at', 'email_key'), 'phone_key, deleted_at', 'phone_key')
                    WHERE name = 'mirror.bulkLoad'
                    """)
        }
        let list = try await queue.read { db in try String.fetchOne(db, sql: "SELECT value FROM checkpoints WHERE name = 'mirror.bulkLoad'") ?? "" }
        #expect(list.contains("contacts(email_key)"))
        try queue.close()

        let reopened = try MirrorDatabase(file: file)
        #expect(try reopened.schemaObjects(on: .contacts).isEmpty, "still loading")
        state = try await reopened.commitContactPage(Self.contacts(200, from: 300), state: state, pulledAt: Date())
        _ = try await reopened.finishContactPhase(state, at: Date())
        #expect(try Self.keyIndexSQL(file) == now)
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
