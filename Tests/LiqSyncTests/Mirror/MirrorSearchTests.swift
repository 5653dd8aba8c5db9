import Foundation
import LiqSync
import Sandbox
import Testing

@Suite("Full-text search over the mirror")
struct MirrorSearchTests {
    static let hostile = [
        "\"", "\"\"", "*", "a*", "NEAR(a b)", "a NEAR b", "(", ")", "((a)", "'); DROP TABLE contacts; --", "OR", "AND NOT",
        "col:value", "^start", "-minus", "+plus", "{a b}", "a:b:c", "\\", "%", "_", "NULL", "\u{0}", "ünïcödé", "🙂",
    ]

    @Test("an exact name ranks first, with a snippet marking the match; notes are searchable")
    func ranking() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 300)) { sandbox async throws in
            let target = await sandbox.store.insert(firstName: "Zebulon", lastName: "Quartermaine", email: "zq@example.com", phone: "(312) 555-0199")
            _ = await sandbox.store.insert(firstName: "Zebulon", lastName: "Smith", email: "zs@example.com", phone: nil)
            _ = try await sandbox.store.insertNote(contactId: target.id, body: "Prefers the turquoise brochure")
            let test = try TestWorkspace(sandbox: sandbox.info)
            defer { test.remove() }
            let mirror = try test.workspace.openMirror()
            _ = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions())

            let hits = try mirror.search("Zebulon Quartermaine", in: [.contacts])
            #expect(hits.first?.id == target.id)
            #expect(hits.first?.snippet.contains("[Quartermaine]") == true)
            #expect(try mirror.search("zebulon", in: [.contacts]).count == 2)
            #expect(try mirror.search("312-555-0199", in: [.contacts]).first?.id == target.id)
            #expect(try mirror.search("zq@example.com", in: [.contacts]).first?.id == target.id)
            let note = try mirror.search("turquoise", in: [.notes])
            #expect(note.first?.contactId == target.id)
            #expect(note.first?.snippet.contains("[turquoise]") == true)
        }
    }

    @Test("any user text gives results or the one clear empty-query error, never an SQL error", arguments: hostile)
    func hostileQueries(text: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("search-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let mirror = try MirrorDatabase(file: directory.appendingPathComponent("mirror.sqlite"))
        let hasWords = text.unicodeScalars.contains { CharacterSet.alphanumerics.contains($0) }
        do {
            _ = try mirror.search(text)
            #expect(hasWords, "text without words should be refused as an empty query")
        } catch let error as MirrorError {
            #expect(error == .emptyQuery)
            #expect(!hasWords, "text with words was refused as empty")
        }
        #expect(try mirror.integrityCheck() == "ok")
    }
}
