import Foundation
import LiqSync
import Sandbox
import Testing

/// A workspace pulled from a sandbox, with a generated LocaliQ export imported and planned.
struct PlannedWorkspace {
    let test: TestWorkspace
    let mirror: MirrorDatabase
    let planURL: URL

    init(_ sandbox: SandboxServices, seed: UInt64, contacts: Int = 60) async throws {
        test = try TestWorkspace(sandbox: sandbox.info)
        mirror = try test.workspace.openMirror()
        _ = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions(entities: [.contacts]))
        let output = try LocaliQExportGenerator(seed: 4, contacts: contacts, sandbox: SeedGenerator(seed: seed, contactCount: sandbox.info.contacts))
            .write(to: test.root.appendingPathComponent("drop"))
        _ = try Importer(database: mirror).run(output.csv, mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        var set = try Planner(database: mirror).plan(workspace: test.root.path)
        // Accept everything; resolve conflicts to LocaliQ's values.
        set = try ChangeReview.decide(set, ChangeSelection(), verdict: .accepted, by: "test").0
        for change in set.changes where change.conflict != nil && change.conflict?.kind != .ambiguousMatch {
            set = try ChangeReview.resolve(set, "\(change.id)=localiq", by: "test")
        }
        planURL = test.workspace.changeSets.appendingPathComponent("plan.lqcs")
        try ChangeSetFile.write(set, to: planURL)
    }

    func applier(retry: RetryPolicy = RetryPolicy(maxAttempts: 10, baseDelay: 0.002, maxDelay: 0.02)) throws -> Applier {
        Applier(database: mirror, client: try test.client(retry: retry), exportsFolder: test.workspace.exports)
    }
}

extension SandboxServices {
    /// Write requests the sandbox answered with success, by method and path.
    func successfulWrites() async -> [(method: String, path: String)] {
        await requestLog.entries().filter { $0.method != "GET" && $0.status < 300 && !$0.path.hasPrefix("/_sandbox") }.map { ($0.method, $0.path) }
    }
}

@Suite("Apply")
struct ApplierTests {
    @Test("the accepted changes reach HighLevel once; a rerun sends nothing; the plan is marked applied")
    func appliesOnce() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 80)) { sandbox async throws in
            let work = try await PlannedWorkspace(sandbox, seed: 7)
            defer { work.test.remove() }
            let set = try ChangeSetFile.read(work.planURL)
            let summary = try await work.applier().run(work.planURL)
            #expect(summary.failed == 0 && summary.stale == 0)
            #expect(summary.complete)
            let creates = set.changes.filter { $0.target == .highlevel && $0.op == .create }
            let contactPosts = await sandbox.successfulWrites().filter { $0.method == "POST" && $0.path == "/contacts/" }
            #expect(contactPosts.count == creates.count)
            // Every created contact is in the sandbox with the LocaliQ email, and linked.
            let emails = Set(await sandbox.store.allContacts().compactMap { $0.email?.lowercased() })
            for change in creates { #expect(emails.contains(change.after["email"]?.string?.lowercased() ?? "?")) }
            #expect(try work.mirror.links().count >= creates.count)
            // LocaliQ files and the outcome reports.
            #expect(summary.exports.contains { $0.hasSuffix("-contacts-create-001.csv") })
            let success = try String(contentsOfFile: try #require(summary.successFile), encoding: .utf8)
            #expect(success.hasPrefix("change_id,target,entity,record_id,operation,status,message\r\n"))
            #expect(try ChangeSetFile.read(work.planURL).header.applied != nil)

            let before = await sandbox.requestLog.lastSequence
            let again = try await work.applier().run(work.planURL)
            #expect(again.done == 0 && again.failed == 0)
            #expect(again.alreadyDone == summary.done + summary.alreadyDone)
            let writes = await sandbox.requestLog.entries(after: before).filter { $0.method != "GET" }
            #expect(writes.isEmpty)
        }
    }

    @Test("--dry-run sends no write and changes nothing")
    func dryRun() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 60)) { sandbox async throws in
            let work = try await PlannedWorkspace(sandbox, seed: 7)
            defer { work.test.remove() }
            let before = await sandbox.requestLog.lastSequence
            let summary = try await work.applier().run(work.planURL, dryRun: true)
            #expect(summary.wouldApply > 0)
            #expect(await sandbox.requestLog.entries(after: before).allSatisfy { $0.method == "GET" })
            #expect(try work.mirror.journal(planId: try ChangeSetFile.read(work.planURL).header.planId).isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: work.test.workspace.exports.path).isEmpty)
        }
    }

    @Test("a record changed in HighLevel after planning is skipped as stale; a plan whose mirror moved on is refused")
    func stale() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 80)) { sandbox async throws in
            let work = try await PlannedWorkspace(sandbox, seed: 7)
            defer { work.test.remove() }
            let set = try ChangeSetFile.read(work.planURL)
            // A second plan of the same moment, applied after the first changed the mirror.
            var second = set
            second.header.planId = "second"
            let other = work.test.workspace.changeSets.appendingPathComponent("other.lqcs")
            try ChangeSetFile.write(second, to: other)
            let update = try #require(
                set.changes.first {
                    $0.target == .highlevel && $0.entity == .contact && $0.op == .update && !$0.before.isEmpty
                        && $0.before.keys.allSatisfy { SyncField.named($0)?.updatableInHighLevel ?? false }
                })
            let field = update.before.keys.sorted()[0]
            let key = try #require(SyncField.named(field)?.highlevelKey)
            let id = try #require(update.key.highlevelId)
            _ = try await sandbox.store.edit(contact: id, fields: [key: .string("Changed Behind Our Back")])
            let summary = try await work.applier().run(work.planURL)
            let outcome = try #require(summary.outcomes.first { $0.changeId == update.id })
            #expect(outcome.status == "stale")
            #expect(outcome.message.contains("changed in HighLevel since planning"))
            #expect(summary.stale >= 1)

            // A plan whose mirror moved on since planning (here: the first apply wrote to it) is refused.
            await #expect(throws: ApplyError.inputsChanged("the mirror changed since planning (a pull or an apply ran)")) {
                try await work.applier().run(other)
            }
        }
    }

    @Test("with 20% of responses failing (429, 5xx, cut connections) apply completes and creates no duplicate")
    func faults() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 80)) { sandbox async throws in
            let work = try await PlannedWorkspace(sandbox, seed: 7)
            defer { work.test.remove() }
            let set = try ChangeSetFile.read(work.planURL)
            await sandbox.faults.setPlan(try #require(FaultPlan(parsing: "429:0.08,500:0.04,503:0.04,cut:0.04,seed=5")))
            var summary = try await work.applier().run(work.planURL)
            // A change whose every attempt met a fault is left for the rerun, as a user would rerun.
            var reruns = 0
            while !summary.complete, reruns < 3 {
                summary = try await work.applier().run(work.planURL)
                reruns += 1
            }
            #expect(summary.complete)
            let injected = await sandbox.faults.injected.values.reduce(0, +)
            await sandbox.faults.setPlan(.none)
            #expect(injected > 5)
            let creates = set.changes.filter { $0.target == .highlevel && $0.op == .create }
            let contacts = await sandbox.store.allContacts()
            for change in creates {
                let email = change.after["email"]?.string?.lowercased()
                #expect(contacts.filter { $0.email?.lowercased() == email }.count == 1, "\(email ?? "?") exists exactly once")
            }
        }
    }

    @Test("undo: the reversing plan, applied, restores the sandbox's records and deletes only what the plan created")
    func undo() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 80)) { sandbox async throws in
            let work = try await PlannedWorkspace(sandbox, seed: 7)
            defer { work.test.remove() }
            let originalContacts = Dictionary(uniqueKeysWithValues: await sandbox.store.allContacts().map { ($0.id, $0) })
            let applied = try await work.applier().run(work.planURL)
            #expect(applied.done > 0 && applied.failed == 0)
            var undo = try UndoPlanner(database: work.mirror).plan(reversing: try ChangeSetFile.read(work.planURL), workspace: "w")
            #expect(!undo.changes.isEmpty)
            undo = try ChangeReview.decide(undo, ChangeSelection(), verdict: .accepted, by: "test").0
            let undoURL = work.test.workspace.changeSets.appendingPathComponent("undo.lqcs")
            try ChangeSetFile.write(undo, to: undoURL)
            let reversed = try await work.applier().run(undoURL, scope: .highlevel)
            #expect(reversed.failed == 0 && reversed.stale == 0, "\(reversed.outcomes.filter { $0.status != "done" })")
            let now = Dictionary(uniqueKeysWithValues: await sandbox.store.allContacts().map { ($0.id, $0) })
            #expect(Set(now.keys) == Set(originalContacts.keys), "created contacts are deleted, no other is")
            for (id, before) in originalContacts {
                let after = try #require(now[id])
                #expect(after.lastName == before.lastName && after.city == before.city && after.email == before.email, "\(id)")
                #expect(Set(after.tags) == Set(before.tags), "\(id) tags")
            }
        }
    }
}
