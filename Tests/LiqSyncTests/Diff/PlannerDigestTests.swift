import Foundation
import LiqSync
import Sandbox
import Testing

@Suite("Plan: digests only skip pairs that need nothing")
struct PlannerDigestTests {
    @Test("after a first sync and edits on both sides, the plan is the same with and without digests")
    func sameWithAndWithoutDigests() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 400)) { sandbox async throws in
            let test = try TestWorkspace(sandbox: sandbox.info)
            defer { test.remove() }
            let mirror = try test.workspace.openMirror()
            _ = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions(entities: [.contacts]))
            let generator = SeedGenerator(seed: 7, contactCount: 400)
            let first = try LocaliQExportGenerator(seed: 2, contacts: 300, sandbox: generator).write(to: test.root.appendingPathComponent("drop"))
            _ = try Importer(database: mirror).run(first.csv, mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
            // The first plan records what both sides agree on: most pairs are quiet from now on.
            let baseline = try Planner(database: mirror).plan(workspace: "w")
            #expect(!baseline.changes.isEmpty)

            // HighLevel edits: some contacts lose fields or change them; a few rows are linked by hand.
            let contacts = try mirror.planContacts().filter { !$0.deleted && $0.emailKey != nil }
            let edited = try contacts.prefix(12).enumerated().map { offset, contact in
                var raw: [String: JSON] = ["id": .string(contact.id), "email": .string(contact.emailKey ?? "")]
                if offset % 2 == 0 { raw["city"] = .string("Edited City \(offset)") }
                if offset % 3 == 0 { raw["tags"] = .array([.string("vip"), .string("edited")]) }
                return try #require(Contact(json: .object(raw)))
            }
            try mirror.storeContacts(edited)
            // LocaliQ edits: a new export of the same file, the same people with other differences.
            let second = try LocaliQExportGenerator(seed: 3, contacts: 300, sandbox: generator).write(to: test.root.appendingPathComponent("drop"))
            _ = try Importer(database: mirror).run(second.csv, mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))

            let (fast, skimmed) = try Planner(database: mirror).planMeasured(workspace: "w")
            try mirror.clearSyncDigests()
            let (full, read) = try Planner(database: mirror).planMeasured(workspace: "w")
            // The first plan skipped the pairs nobody touched; the second, without digests, diffed every one.
            #expect(skimmed.matchedPairs == read.matchedPairs)
            #expect(skimmed.pairsDiffed > 0 && skimmed.pairsDiffed < skimmed.matchedPairs)
            #expect(read.pairsDiffed == read.matchedPairs)
            #expect(fast.changes.count == full.changes.count)
            #expect(fast.changes == full.changes)
            #expect(fast.header.mirrorFingerprint == full.header.mirrorFingerprint)
            // The HighLevel edits are in the plan.
            let touched = Set(fast.changes.compactMap(\.key.highlevelId))
            #expect(edited.allSatisfy { touched.contains($0.id) })
        }
    }

    @Test("a pair whose digests agree everywhere gives no change; one differing field gives exactly that field")
    func quietAndOneField() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let contact = try #require(
            Contact(json: .object(["id": .string("hl1"), "email": .string("ana@example.com"), "firstName": .string("Ana"), "city": .string("Austin")])))
        try workspace.database.storeContacts([contact])
        let csv = "id,email,first_name,city\nlq1,ANA@example.com, Ana ,Austin\n"
        _ = try Importer(database: workspace.database).run(try workspace.file("a.csv", csv), mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        // First sync: equal values are agreed, nothing to change; the next plan skips the pair by digest.
        let first = try Planner(database: workspace.database).planMeasured(workspace: "w")
        #expect(first.changeSet.changes.isEmpty && first.statistics == Planner.Statistics(matchedPairs: 1, pairsDiffed: 1))
        let second = try Planner(database: workspace.database).planMeasured(workspace: "w")
        #expect(second.changeSet.changes.isEmpty && second.statistics == Planner.Statistics(matchedPairs: 1, pairsDiffed: 0))
        // LocaliQ changes the city: one update to HighLevel, for that field only.
        let changed = "id,email,first_name,city\nlq1,ana@example.com,Ana,Dallas\n"
        _ = try Importer(database: workspace.database).run(try workspace.file("a.csv", changed), mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        let changes = try Planner(database: workspace.database).plan(workspace: "w").changes
        #expect(changes.count == 1)
        #expect(changes.first?.target == .highlevel)
        #expect(changes.first?.fields.map(\.field) == ["city"])
        #expect(changes.first?.after["city"] == .string("Dallas"))
    }
}
