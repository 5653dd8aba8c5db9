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
        #expect(first.changeSet.changes.isEmpty && first.statistics.matchedPairs == 1 && first.statistics.pairsDiffed == 1)
        let second = try Planner(database: workspace.database).planMeasured(workspace: "w")
        #expect(second.changeSet.changes.isEmpty && second.statistics.matchedPairs == 1 && second.statistics.pairsDiffed == 0)
        // LocaliQ changes the city: one update to HighLevel, for that field only.
        let changed = "id,email,first_name,city\nlq1,ana@example.com,Ana,Dallas\n"
        _ = try Importer(database: workspace.database).run(try workspace.file("a.csv", changed), mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        let changes = try Planner(database: workspace.database).plan(workspace: "w").changes
        #expect(changes.count == 1)
        #expect(changes.first?.target == .highlevel)
        #expect(changes.first?.fields.map(\.field) == ["city"])
        #expect(changes.first?.after["city"] == .string("Dallas"))
    }

    @Test("agreeing on one more field keeps the pair's other agreed fields in its base digest: the next plan skips the pair")
    func agreementKeepsTheRestOfTheBase() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        func contact(city: String) throws -> Contact {
            try #require(Contact(json: .object(["id": .string("hl1"), "email": .string("ana@example.com"), "firstName": .string("Ana"), "city": .string(city)])))
        }
        try workspace.database.storeContacts([try contact(city: "Austin")])
        _ = try Importer(database: workspace.database).run(try workspace.file("a.csv", "id,email,first_name,city\nlq1,ana@example.com,Ana,Austin\n"), mapping: mapping)
        #expect(try Planner(database: workspace.database).plan(workspace: "w").changes.isEmpty)
        // Both sides move to the same new city: no change, and the city is agreed anew.
        try workspace.database.storeContacts([try contact(city: "Dallas")])
        _ = try Importer(database: workspace.database).run(try workspace.file("a.csv", "id,email,first_name,city\nlq1,ana@example.com,Ana,Dallas\n"), mapping: mapping)
        let moved = try Planner(database: workspace.database).planMeasured(workspace: "w")
        #expect(moved.changeSet.changes.isEmpty && moved.statistics.pairsDiffed == 1)
        let next = try Planner(database: workspace.database).planMeasured(workspace: "w")
        #expect(next.changeSet.changes.isEmpty && next.statistics.matchedPairs == 1 && next.statistics.pairsDiffed == 0)
    }

    @Test("a HighLevel id column matches before the email, whether or not the row has a digest record")
    func highlevelIdColumn() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let ana = try #require(Contact(json: .object(["id": .string("hlA"), "email": .string("ana@example.com"), "city": .string("Austin")])))
        let bo = try #require(Contact(json: .object(["id": .string("hlB"), "email": .string("bo@example.com"), "city": .string("Boston")])))
        try workspace.database.storeContacts([ana, bo])
        let mapping = try FieldMapping.parse(
            """
            name: crm-with-ids
            format: csv
            fields:
              - id: [Lead]
              - highlevel_id: [HighLevel ID]
              - email: [Email]
              - city: [City]
            """, path: "m.yaml")
        // The row's email is Bo's, but its HighLevel id names Ana: the id wins.
        let url = try workspace.file("crm.csv", "Lead,HighLevel ID,Email,City\nL1,hlA,bo@example.com,Austin\n")
        _ = try Importer(database: workspace.database).run(url, mapping: mapping)
        for clearDigests in [false, true] {
            if clearDigests { try workspace.database.clearSyncDigests() }
            let (set, statistics) = try Planner(database: workspace.database).planMeasured(workspace: "w")
            #expect(statistics.matchedPairs == 1)
            let toAna = set.changes.filter { $0.key.highlevelId == "hlA" && $0.key.localiqId == "L1" }
            #expect(toAna.flatMap { $0.fields.map(\.field) } == ["email"], "\(set.changes)")
            // Bo is spoken for by no row: he is new to LocaliQ.
            #expect(set.changes.contains { $0.key.highlevelId == "hlB" && $0.op == .create && $0.target == .localiq })
            #expect(!set.changes.contains { $0.op == .create && $0.target == .highlevel })
        }
    }

    /// A contact as HighLevel returns it: every third one has a phone (+1 NPA 555-01xx, unique).
    private static func person(_ number: Int, city: String = "Austin") -> Contact? {
        var raw: [String: JSON] = [
            "id": .string("hl\(number)"), "email": .string("person\(number)@example.com"), "firstName": .string("P\(number)"),
            "city": .string(city),
        ]
        if let phone = phone(number) { raw["phone"] = .string(phone) }
        return Contact(json: .object(raw))
    }

    private static func phone(_ number: Int) -> String? {
        number % 3 == 0 ? "+1\(200 + number / 100 % 800)55501\(String(format: "%02d", number % 100))" : nil
    }

    @Test("at 12,000 contacts (rows matched in parts, several batches, many table regions) the plan is the same with and without digests")
    func sameAtScale() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let count = 12_000
        try workspace.database.storeContacts((0..<count).compactMap { Self.person($0) })
        func export(_ rows: [(id: String, email: String, phone: String?, city: String)]) throws -> URL {
            let lines = rows.map { "\($0.id),\($0.email),\($0.phone ?? ""),P\($0.id.dropFirst(2)),\($0.city)" }
            return try workspace.file("localiq.csv", (["id,email,phone,first_name,city"] + lines).joined(separator: "\n") + "\n")
        }
        // Last night: everyone but the last 500 contacts, in agreement, plus 300 people new to HighLevel.
        var rows = (0..<(count - 500)).map { (id: "lq\($0)", email: "person\($0)@example.com", phone: Self.phone($0), city: "Austin") }
        rows += (0..<300).map { (id: "new\($0)", email: "new\($0)@example.com", phone: nil, city: "Austin") }
        let profile = try BuiltInProfiles.profile(named: "localiq-contacts")
        _ = try Importer(database: workspace.database).run(try export(rows), mapping: profile)
        _ = try Planner(database: workspace.database).plan(workspace: "w")

        // Tonight: LocaliQ moved 200 people to Dallas; one row has person 6000's email and person
        // 6003's phone; HighLevel moved 100 others to Houston.
        for index in 0..<200 { rows[index].city = "Dallas" }
        rows.append((id: "split", email: "person6000@example.com", phone: Self.phone(6003), city: "Austin"))
        _ = try Importer(database: workspace.database).run(try export(rows), mapping: profile)
        try workspace.database.storeContacts((1_000..<1_100).compactMap { Self.person($0, city: "Houston") })

        let (fast, skimmed) = try Planner(database: workspace.database).planMeasured(workspace: "w")
        let again = try Planner(database: workspace.database).plan(workspace: "w")
        try workspace.database.clearSyncDigests()
        let (full, read) = try Planner(database: workspace.database).planMeasured(workspace: "w")
        #expect(fast.changes == full.changes)
        #expect(fast.changes == again.changes)
        #expect(skimmed.matchedPairs == read.matchedPairs && skimmed.pairsDiffed < 1_000 && read.pairsDiffed == read.matchedPairs)

        let cityUpdates = fast.changes.filter { $0.op == .update && $0.fields.map(\.field) == ["city"] }
        #expect(cityUpdates.filter { $0.target == .highlevel && $0.after["city"] == .string("Dallas") }.count == 200)
        #expect(cityUpdates.filter { $0.target == .localiq && $0.after["city"] == .string("Houston") }.count == 100)
        #expect(fast.changes.filter { $0.target == .highlevel && $0.op == .create && $0.entity == .contact }.count == 300)
        #expect(fast.changes.filter { $0.target == .localiq && $0.op == .create && $0.entity == .contact }.count == 500)
        // Nothing else: a row paired with the wrong contact would show up as updates of other fields.
        #expect(fast.changes.filter { $0.entity == .contact && $0.op == .update && $0.conflict == nil }.count == 300, "\(fast.counts)")
        let conflicts = fast.changes.filter { $0.conflict?.kind == .ambiguousMatch }
        #expect(conflicts.count == 1)
        #expect(conflicts.first?.key.localiqId == "split" && conflicts.first?.conflict?.candidates == ["hl6000", "hl6003"])
    }

    @Test("plans and change sets made by many tasks at once all finish (the work they hand to other threads always gets one)",
        .timeLimit(.minutes(2)))
    func manyAtOnce() async throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        // 5,000 contacts no LocaliQ row speaks for: 5,000 LocaliQ creates, more than one block of lines.
        try workspace.database.storeContacts((0..<5_000).compactMap { Self.person($0) })
        let database = workspace.database
        let root = workspace.root
        let written = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    let set = try Planner(database: database).plan(workspace: "w")
                    let url = root.appendingPathComponent("plan-\(task).lqcs")
                    try ChangeSetFile.write(set, to: url)
                    return try ChangeSetFile.read(url).changes.count
                }
            }
            var counts: [Int] = []
            for try await count in group { counts.append(count) }
            return counts
        }
        #expect(written == Array(repeating: 5_000, count: 8))
    }

    @Test("the mirror fingerprint does not depend on the order contacts were written, and moves with any contact's time or deletion")
    func fingerprintIsOrderFree() throws {
        func contact(_ id: String, updated: String) throws -> Contact {
            try #require(
                Contact(json: .object(["id": .string(id), "email": .string("\(id)@example.com"), "dateUpdated": .string(updated)])))
        }
        let ids = (0..<40).map { "hl\($0)" }
        let forward = try ImportWorkspace()
        let backward = try ImportWorkspace()
        defer {
            forward.remove()
            backward.remove()
        }
        try forward.database.storeContacts(ids.map { try contact($0, updated: "2026-10-01T10:00:00.000Z") })
        for id in ids.reversed() { try backward.database.storeContacts([try contact(id, updated: "2026-10-01T10:00:00.000Z")]) }
        let before = try forward.database.contactsFingerprint()
        #expect(before.count == 40)
        #expect(try backward.database.contactsFingerprint() == before)
        // The plan's header carries the same fingerprint, read from its contact index.
        #expect(try Planner(database: forward.database).plan(workspace: "w").header.mirrorFingerprint == before.digest)

        // One contact's time changes: the fingerprint moves; put back, it returns.
        try forward.database.storeContacts([try contact("hl7", updated: "2026-10-02T10:00:00.000Z")])
        let edited = try forward.database.contactsFingerprint()
        #expect(edited.digest != before.digest && edited.count == 40)
        try forward.database.storeContacts([try contact("hl7", updated: "2026-10-01T10:00:00.000Z")])
        #expect(try forward.database.contactsFingerprint() == before)
        // Two contacts swap times: still a different mirror.
        try forward.database.storeContacts([try contact("hl1", updated: "2026-10-03T10:00:00.000Z"), try contact("hl2", updated: "2026-10-04T10:00:00.000Z")])
        let swappedOne = try forward.database.contactsFingerprint()
        try forward.database.storeContacts([try contact("hl1", updated: "2026-10-04T10:00:00.000Z"), try contact("hl2", updated: "2026-10-03T10:00:00.000Z")])
        #expect(try forward.database.contactsFingerprint().digest != swappedOne.digest)
        // A deletion, and a new contact, each move it.
        _ = try backward.database.markContactDeleted("hl3", at: Date(timeIntervalSince1970: 1_790_000_000))
        #expect(try backward.database.contactsFingerprint().digest != before.digest)
        try forward.database.storeContacts([try contact("hl40", updated: "2026-10-01T10:00:00.000Z")])
        #expect(try forward.database.contactsFingerprint().count == 41)
    }
}
