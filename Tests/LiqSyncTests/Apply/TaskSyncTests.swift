import Foundation
import LiqSync
import Sandbox
import Testing

@Suite("Follow-up tasks as mapped")
struct TaskSyncTests {
    static let mapping = """
        name: leads-with-tasks
        format: csv
        follow_up_task:
          title: "Call back {first_name} {last_name}"
          due_days: 2
        fields:
          - id: [id]
          - first_name: [first_name]
          - last_name: [last_name]
          - email: [email]
          - status: [status]
        """

    private func planAndApply(_ mirror: MirrorDatabase, _ test: TestWorkspace, name: String) async throws -> (ChangeSet, ApplySummary) {
        var set = try Planner(database: mirror).plan(workspace: "w")
        set = try ChangeReview.decide(set, ChangeSelection(), verdict: .accepted, by: "t").0
        let url = test.workspace.changeSets.appendingPathComponent("\(name).lqcs")
        try ChangeSetFile.write(set, to: url)
        let summary = try await Applier(database: mirror, client: try test.client(), exportsFolder: test.workspace.exports).run(url, scope: .highlevel)
        return (set, summary)
    }

    @Test("an open lead gets one task; when the lead becomes a customer the task is completed through PUT …/completed")
    func openedAndCompleted() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 3)) { sandbox async throws in
            let uma = await sandbox.store.insert(firstName: "Uma", lastName: "Vale", email: "uma.vale@example.com", phone: nil)
            let test = try TestWorkspace(sandbox: sandbox.info)
            defer { test.remove() }
            let mirror = try test.workspace.openMirror()
            _ = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions(entities: [.contacts, .tasks]))
            let mapping = try FieldMapping.parse(Self.mapping, path: "m.yaml")
            let open = test.root.appendingPathComponent("leads-1.csv")
            try Data("id,first_name,last_name,email,status\n41,Uma,Vale,uma.vale@example.com,active_lead\n42,Wes,Xu,wes.xu@example.com,NEW\n".utf8).write(to: open)
            _ = try Importer(database: mirror).run(open, mapping: mapping)

            let (first, applied) = try await planAndApply(mirror, test, name: "one")
            let creates = first.changes.filter { $0.entity == .task && $0.op == .create }
            #expect(creates.count == 2)
            #expect(creates.first { $0.key.localiqId == "41" }?.after["title"] == .string("Call back Uma Vale"))
            #expect(applied.failed == 0, "\(applied.outcomes.filter { $0.status == "failed" })")
            let umaTasks = await sandbox.store.activities(of: uma.id).tasks
            #expect(umaTasks.count == 1)
            #expect(umaTasks.first?.completed == false)

            // Nothing new while the status is unchanged.
            let (again, _) = try await planAndApply(mirror, test, name: "two")
            #expect(!again.changes.contains { $0.entity == .task })

            // The lead became a customer in LocaliQ.
            let won = test.root.appendingPathComponent("leads-1.csv")
            try Data("id,first_name,last_name,email,status\n41,Uma,Vale,uma.vale@example.com,client\n42,Wes,Xu,wes.xu@example.com,NEW\n".utf8).write(to: won)
            _ = try Importer(database: mirror).run(won, mapping: mapping)
            let before = await sandbox.requestLog.lastSequence
            let (third, done) = try await planAndApply(mirror, test, name: "three")
            let completion = try #require(third.changes.first { $0.entity == .task && $0.op == .update })
            #expect(completion.key.localiqId == "41")
            #expect(done.failed == 0)
            #expect(await sandbox.store.activities(of: uma.id).tasks.first?.completed == true)
            let puts = await sandbox.requestLog.entries(after: before).filter { $0.method == "PUT" && $0.path.hasSuffix("/completed") }
            #expect(puts.count == 1)
        }
    }
}
