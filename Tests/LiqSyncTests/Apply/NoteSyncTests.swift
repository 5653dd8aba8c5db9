import Foundation
import LiqSync
import Sandbox
import Testing

@Suite("Notes: append-only, both ways, times kept")
struct NoteSyncTests {
    @Test("LocaliQ calls, forms and chats become HighLevel notes once; HighLevel notes become LocaliQ note rows once")
    func bothWays() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 5)) { sandbox async throws in
            let uma = await sandbox.store.insert(firstName: "Uma", lastName: "Vale", email: "uma.vale@example.com", phone: nil)
            _ = try await sandbox.store.insertNote(contactId: uma.id, body: "Prefers email. Met at the expo.")
            let test = try TestWorkspace(sandbox: sandbox.info)
            defer { test.remove() }
            let mirror = try test.workspace.openMirror()
            _ = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions(entities: [.contacts, .notes]))
            let input = test.root.appendingPathComponent("interactions.json")
            try FileManager.default.copyItem(at: Fixtures.localiq.appendingPathComponent("interactions-chat.json"), to: input)
            _ = try Importer(database: mirror).run(input, mapping: try BuiltInProfiles.profile(named: "localiq-interactions"))

            var set = try Planner(database: mirror).plan(workspace: "w")
            let toHighLevel = set.changes.filter { $0.target == .highlevel && $0.entity == .note }
            #expect(toHighLevel.count == 2)  // Uma's chat, Wes's form; the placeholder's chat is excluded
            let chat = try #require(toHighLevel.first { $0.key.localiqId == "4001" })
            #expect(chat.key.highlevelId == uma.id)
            #expect(chat.after["title"] == .string("LocaliQ chat · 2023-01-30 18:50 UTC"))
            let body = try #require(chat.after["body"]?.string)
            #expect(body.contains("Asked about pricing."))
            #expect(body.contains("Visitor: Hi, how much?\nAgent: Let me check."))
            #expect(body.contains("(LocaliQ activity 801, 2023-01-30 18:50 UTC)"))
            let form = try #require(toHighLevel.first { $0.key.localiqId == "4003" })
            #expect(form.key.highlevelId == nil)  // Wes is created first, then gets the note
            #expect(set.changes.contains { $0.op == .create && $0.entity == .contact && $0.key.localiqId == "4003" })
            let toLocaliQ = try #require(set.changes.first { $0.target == .localiq && $0.entity == .note })
            #expect(toLocaliQ.after["body"] == .string("Prefers email. Met at the expo."))
            #expect(toLocaliQ.after["created_at"]?.string?.isEmpty == false)

            set = try ChangeReview.decide(set, ChangeSelection(), verdict: .accepted, by: "t").0
            let url = test.workspace.changeSets.appendingPathComponent("notes.lqcs")
            try ChangeSetFile.write(set, to: url)
            let applier = Applier(database: mirror, client: try test.client(), exportsFolder: test.workspace.exports)
            let summary = try await applier.run(url)
            #expect(summary.failed == 0, "\(summary.outcomes.filter { $0.status == "failed" })")
            let umaNotes = await sandbox.store.activities(of: uma.id).notes
            #expect(umaNotes.filter { $0.body.contains("LocaliQ activity 801") }.count == 1)
            let notesFile = try #require(summary.exports.first { $0.contains("-notes-create-001.csv") })
            let rows = try String(contentsOfFile: notesFile, encoding: .utf8)
            #expect(rows.hasPrefix("contact_id,highlevel_id,note_id,created_at,title,body\r\n4001,\(uma.id),"))

            // Once each: a new plan proposes neither again.
            let again = try Planner(database: mirror).plan(workspace: "w")
            #expect(!again.changes.contains { $0.entity == .note }, "\(again.changes.filter { $0.entity == .note }.map(\.reason))")
        }
    }
}
