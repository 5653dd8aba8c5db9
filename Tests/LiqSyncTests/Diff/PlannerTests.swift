import Foundation
import LiqSync
import Sandbox
import Testing

@Suite("Plan: the generator's ground truth")
struct PlannerTruthTests {
    @Test("at 10,000 contacts the plan holds every true difference and no false one")
    func truth() async throws {
        var configuration = SandboxConfiguration.quick(contacts: 10_000)
        configuration.seed = 11
        try await SandboxServer.withRunning(configuration) { sandbox async throws in
            let test = try TestWorkspace(sandbox: sandbox.info)
            defer { test.remove() }
            let mirror = try test.workspace.openMirror()
            _ = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions(entities: [.contacts]))
            let output = try LocaliQExportGenerator(seed: 5, contacts: 10_000, sandbox: SeedGenerator(seed: 11, contactCount: 10_000))
                .write(to: test.root.appendingPathComponent("drop"))
            let summary = try Importer(database: mirror).run(output.csv, mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
            #expect(summary.rowsRejected == 0)
            let set = try Planner(database: mirror).plan(workspace: test.root.path)

            let truth = try #require(try JSON.parse(Data(contentsOf: output.truth)).object)
            var expected: [String: String] = [:]  // localiq id → kind
            var expectedFields: [String: Set<String>] = [:]
            for row in truth["rows"]?.array ?? [] {
                let id = try #require(row["localiqId"]?.string)
                expected[id] = row["kind"]?.string
                expectedFields[id] = Set(row["changes"]?.object?.keys.map { $0 } ?? [])
            }
            let highlevelOnly = Set((truth["highlevelOnly"]?.array ?? []).compactMap(\.string))

            var found: [String: Set<String>] = [:]  // localiq id → fields touched
            var creates = Set<String>()
            var reports = Set<String>()
            var localiqCreates = Set<String>()
            for change in set.changes {
                if change.target == .localiq, change.op == .create, let id = change.key.highlevelId {
                    localiqCreates.insert(id)
                    continue
                }
                let id = try #require(change.key.localiqId, "a change without a LocaliQ id: \(change.reason)")
                switch change.op {
                case .create: creates.insert(id)
                case .report where change.fields.isEmpty: reports.insert(id)
                default: found[id, default: []].formUnion(change.fields.map(\.field))
                }
            }
            // Every true difference is present …
            for (id, kind) in expected {
                switch kind {
                case "same": #expect(found[id] == nil && !creates.contains(id) && !reports.contains(id), "row \(id) is the same on both sides")
                case "changed": #expect(found[id] == expectedFields[id], "row \(id): \(found[id] ?? []) vs \(expectedFields[id] ?? [])")
                case "removed": #expect(reports.contains(id) && found[id] == nil, "row \(id) was archived in LocaliQ")
                case "new": #expect(creates.contains(id), "row \(id) is new in LocaliQ")
                default: Issue.record("unknown kind \(kind)")
                }
            }
            #expect(localiqCreates == highlevelOnly)
            // … and nothing else.
            #expect(Set(found.keys).isSubset(of: Set(expected.filter { $0.value == "changed" }.keys)))
            #expect(creates == Set(expected.filter { $0.value == "new" }.keys))
            #expect(set.changes.count == found.count + creates.count + reports.count + localiqCreates.count + extraTagChanges(set))
            // First sync: differing values are conflicts, an empty HighLevel field is filled, and tags
            // added in LocaliQ go through the tags endpoint.
            let changed = set.changes.filter { $0.key.localiqId.map { expected[$0] == "changed" } ?? false }
            for change in changed {
                let fill = change.target == .highlevel && change.conflict == nil && change.fields.allSatisfy { $0.highlevel == nil }
                    || change.op == .report
                #expect(change.conflict?.kind == .firstSync || (change.entity == .tags && change.op == .add) || fill, "\(change)")
            }
        }
    }

    /// Changes beyond one per touched row (a row whose conflict and tag addition are two changes).
    private func extraTagChanges(_ set: ChangeSet) -> Int {
        var perRow: [String: Int] = [:]
        for change in set.changes where change.op == .update || change.op == .add || change.op == .remove {
            if let id = change.key.localiqId { perRow[id, default: 0] += 1 }
        }
        return perRow.values.reduce(0) { $0 + $1 - 1 }
    }

    @Test("the same inputs give the same changes in the same order")
    func deterministic() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 300)) { sandbox async throws in
            let test = try TestWorkspace(sandbox: sandbox.info)
            defer { test.remove() }
            let mirror = try test.workspace.openMirror()
            _ = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions(entities: [.contacts]))
            let output = try LocaliQExportGenerator(seed: 2, contacts: 200, sandbox: SeedGenerator(seed: 7, contactCount: 300))
                .write(to: test.root.appendingPathComponent("drop"))
            _ = try Importer(database: mirror).run(output.csv, mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
            let first = try Planner(database: mirror).plan(workspace: "w")
            let second = try Planner(database: mirror).plan(workspace: "w")
            #expect(first.changes == second.changes)
            #expect(!first.changes.isEmpty)
            // Grouped as review lists them: by target, entity and operation, then by record; numbered in that order.
            #expect(first.changes.map(\.id) == Array(1...first.changes.count))
            let order = first.changes.map { ($0.target.rawValue, $0.entity.rawValue, $0.op.rawValue, $0.key.sortText) }
            #expect(zip(order, order.dropFirst()).allSatisfy { !($1 < $0) })
            #expect(Set(first.changes.map(\.target)).count == 2)
        }
    }
}

@Suite("Plan: three-way rules")
struct PlannerRuleTests {
    /// A mirror with one contact and one staged row, with a base when given.
    private func plan(
        highlevel: [String: String], localiq: [String: String], base: [String: String]? = nil, policy: SyncPolicy = SyncPolicy(),
        highlevelTags: [String] = [], localiqTags: String = "", baseTags: [String]? = nil, highlevelRaw: [String: JSON] = [:]
    ) throws -> [Change] {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        var raw: [String: JSON] = ["id": .string("hl1"), "email": .string("ana@example.com"), "tags": .array(highlevelTags.map(JSON.string))]
        for (key, value) in highlevel { raw[key] = .string(value) }
        raw.merge(highlevelRaw) { _, extra in extra }
        try workspace.database.storeContacts([try #require(Contact(json: .object(raw)))])
        var header = ["id", "email", "tags"]
        var cells = ["lq1", "ana@example.com", localiqTags]
        for (key, value) in localiq.sorted(by: { $0.key < $1.key }) {
            header.append(key)
            cells.append(value)
        }
        let csv = header.joined(separator: ",") + "\n" + cells.map { CSVWriter.field($0) }.joined(separator: ",") + "\n"
        let url = try workspace.file("lq.csv", csv)
        _ = try Importer(database: workspace.database).run(url, mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        if let base {
            try workspace.database.setLink(localiqId: "lq1", contactId: "hl1", method: "test")
            var agreements: [(contactId: String, field: String, value: JSON?)] = base.map { ("hl1", $0.key, JSON.string($0.value)) }
            agreements.append(("hl1", "email", .string("ana@example.com")))
            if let baseTags { agreements.append(("hl1", "tags", .array(baseTags.map(JSON.string)))) }
            try workspace.database.recordAgreements(agreements)
        }
        return try Planner(database: workspace.database, policy: policy).plan(workspace: "w").changes
    }

    @Test("one side changed: it is propagated to the other")
    func oneSideChanged() throws {
        let toHighLevel = try plan(highlevel: ["city": "Old"], localiq: ["city": "New"], base: ["city": "Old"])
        #expect(toHighLevel.count == 1)
        #expect(toHighLevel[0].target == .highlevel && toHighLevel[0].after == ["city": .string("New")] && toHighLevel[0].before == ["city": .string("Old")])
        // HighLevel's update endpoint has no companyName: a company changed in LocaliQ is reported.
        let company = try plan(highlevel: ["companyName": "Old"], localiq: ["company": "New"], base: ["company": "Old"])
        #expect(company.count == 1)
        #expect(company[0].op == .report && company[0].reason.contains("cannot change it on an existing contact"))
        let toLocaliQ = try plan(highlevel: ["companyName": "New"], localiq: ["company": "Old"], base: ["company": "Old"])
        #expect(toLocaliQ.count == 1)
        #expect(toLocaliQ[0].target == .localiq && toLocaliQ[0].after == ["company": .string("New")])
    }

    @Test("both changed to the same value: nothing to write")
    func bothSame() throws {
        #expect(try plan(highlevel: ["companyName": "New"], localiq: ["company": "New"], base: ["company": "Old"]).isEmpty)
    }

    @Test(
        "both changed differently: the field's policy decides",
        arguments: [
            (FieldPolicy.manual, nil), (.highlevelWins, ChangeTarget.localiq), (.localiqWins, .highlevel),
        ] as [(FieldPolicy, ChangeTarget?)])
    func bothChanged(policy: FieldPolicy, target: ChangeTarget?) throws {
        var sync = SyncPolicy()
        sync.fields["company"] = policy
        let changes = try plan(highlevel: ["companyName": "HL"], localiq: ["company": "LQ"], base: ["company": "Old"], policy: sync)
        #expect(changes.count == 1)
        if let target {
            #expect(changes[0].target == target && changes[0].conflict == nil)
        } else {
            #expect(changes[0].conflict == Conflict(kind: .bothChanged, fields: ["company"]))
        }
    }

    @Test("first sync: empty fields are filled from the other side; differing values are conflicts")
    func firstSync() throws {
        let changes = try plan(highlevel: ["city": "Boise", "companyName": "HL Co"], localiq: ["city": "", "company": "LQ Co", "last_name": "Diaz"])
        let toLocaliQ = try #require(changes.first { $0.target == .localiq })
        #expect(toLocaliQ.after == ["city": .string("Boise")])
        let toHighLevel = try #require(changes.first { $0.target == .highlevel && $0.conflict == nil })
        #expect(toHighLevel.after == ["last_name": .string("Diaz")])
        let conflict = try #require(changes.first { $0.conflict != nil })
        #expect(conflict.conflict?.kind == .firstSync && conflict.conflict?.fields == ["company"])
    }

    @Test("tags are sets: added and removed through the tags endpoints, merged for LocaliQ")
    func tags() throws {
        let changes = try plan(
            highlevel: [:], localiq: [:], base: [:], highlevelTags: ["vip", "hl-new"], localiqTags: "vip, lq-new", baseTags: ["vip", "gone"])
        #expect(changes.first { $0.entity == .tags && $0.op == .add }?.after == ["tags": .array([.string("lq-new")])])
        #expect(changes.first { $0.entity == .tags && $0.op == .remove } == nil)  // "gone" is already absent in HighLevel
        let merged = try #require(changes.first { $0.target == .localiq })
        #expect(merged.after["tags"] == .array([.string("hl-new"), .string("lq-new"), .string("vip")]))
        let removal = try plan(highlevel: [:], localiq: [:], base: [:], highlevelTags: ["vip", "old"], localiqTags: "vip", baseTags: ["vip", "old"])
        #expect(removal.first { $0.entity == .tags && $0.op == .remove }?.after == ["tags": .array([.string("old")])])
    }

    @Test("only a contact's own fields are compared, not same-named keys nested in its raw JSON")
    func nestedNamesAreNotFields() throws {
        // Sorted, "attributionSource" comes before the contact's own "city" and "customFields"
        // after it; a string holds quotes, braces and a key-like text.
        let nested: [String: JSON] = [
            "attributionSource": .object(["city": .string("Elsewhere"), "companyName": .string("Nested Co"), "note": .string("a \"quoted\" }, \"city\": \"Trap\"")]),
            "customFields": .array([.object(["id": .string("cf1"), "city": .string("Elsewhere"), "value": .array([.number(1), .bool(true), .null])])]),
            "dnd": .bool(false), "score": .number(-12.5e3),
        ]
        #expect(try plan(highlevel: ["city": "Boise"], localiq: ["city": "Boise", "company": ""], highlevelRaw: nested).isEmpty)
        // The contact's own value still counts when it differs.
        let changed = try plan(highlevel: ["city": "Boise"], localiq: ["city": "Reno"], base: ["city": "Boise"], highlevelRaw: nested)
        #expect(changed.count == 1 && changed.first?.after == ["city": .string("Reno")] && changed.first?.before == ["city": .string("Boise")])
    }

    @Test("format noise is not a difference: email case, phone format, country names")
    func noise() throws {
        #expect(try plan(highlevel: ["phone": "+13125550101", "country": "US"], localiq: ["phone_mobile": "(312) 555-0101", "country": "United States"]).isEmpty)
    }

    @Test("ambiguous matches are conflicts listing the candidates, never a guess")
    func ambiguous() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let contacts: [JSON] = [
            .object(["id": .string("hlA"), "email": .string("ana@example.com")]),
            .object(["id": .string("hlB"), "phone": .string("+13125550101")]),
            .object(["id": .string("hlC"), "email": .string("cy@example.com")]),
        ]
        try workspace.database.storeContacts(contacts.compactMap { Contact(json: $0) })
        let url = try workspace.file(
            "lq.csv",
            """
            id,email,phone_mobile,first_name
            1,ana@example.com,(312) 555-0101,Ana
            2,cy@example.com,,Cy
            3,CY@example.com,,Cyrus
            """)
        _ = try Importer(database: workspace.database).run(url, mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        let changes = try Planner(database: workspace.database).plan(workspace: "w").changes
        // Row 1: the email says hlA, the phone hlB.
        let split = try #require(changes.first { $0.key.localiqId == "1" })
        #expect(split.conflict == Conflict(kind: .ambiguousMatch, candidates: ["hlA", "hlB"]))
        // Rows 2 and 3 are collapsed as one person by the import, so hlC is matched once.
        #expect(!changes.contains { $0.conflict?.kind == .ambiguousMatch && $0.key.highlevelId == "hlC" })
        // A link settles it.
        try workspace.database.setLink(localiqId: "1", contactId: "hlA", method: "manual")
        let linked = try Planner(database: workspace.database).plan(workspace: "w").changes
        #expect(!linked.contains { $0.key.localiqId == "1" && $0.conflict != nil })
    }

    @Test("two rows of different imports matching one contact are an ambiguous match")
    func twoRowsOneContact() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        try workspace.database.storeContacts([try #require(Contact(json: .object(["id": .string("hlA"), "email": .string("ana@example.com")])))])
        let first = try workspace.file("a.csv", "id,email,first_name\n1,ana@example.com,Ana\n")
        let second = try workspace.file("b.csv", "id,email,first_name\n2,ana@example.com,Anna\n")
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        _ = try Importer(database: workspace.database).run(first, mapping: mapping)
        _ = try Importer(database: workspace.database).run(second, mapping: mapping)
        let changes = try Planner(database: workspace.database).plan(workspace: "w").changes
        let conflict = try #require(changes.first { $0.conflict?.kind == .ambiguousMatch })
        #expect(conflict.key.highlevelId == "hlA")
        #expect(conflict.conflict?.candidates == ["1", "2"])
    }

    @Test("a newer export holding some of the same LocaliQ records supersedes them one by one; records only in the older still count")
    func newerExportSupersedes() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        try workspace.database.storeContacts([
            try #require(Contact(json: .object(["id": .string("hlA"), "email": .string("ana@example.com")]))),
            try #require(Contact(json: .object(["id": .string("hlB"), "email": .string("ben@example.com"), "firstName": .string("Ben")]))),
        ])
        // Two files through the same mapping sharing one of their two records (too few to be
        // copies of one export): Ana's name changed in LocaliQ since the first.
        let lastNight = try workspace.file(
            "contacts-2026-11-29.csv", "id,email,first_name\n1,ana@example.com,Ana\n3,cara@example.com,Cara\n")
        let tonight = try workspace.file("contacts-2026-11-30.csv", "id,email,first_name\n1,ana@example.com,Anna\n2,ben@example.com,Ben\n")
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        _ = try Importer(database: workspace.database).run(lastNight, mapping: mapping)
        _ = try Importer(database: workspace.database).run(tonight, mapping: mapping)
        let changes = try Planner(database: workspace.database).plan(workspace: "w").changes
        #expect(!changes.contains { $0.conflict?.kind == .ambiguousMatch }, "\(changes.compactMap(\.conflict))")
        let ana = try #require(changes.first { $0.key.highlevelId == "hlA" && $0.op == .update })
        #expect(ana.after["first_name"] == .string("Anna"))
        #expect(ana.key.localiqId == "1")
        // Cara is only in last night's file: still a LocaliQ contact to create in HighLevel.
        #expect(changes.contains { $0.op == .create && $0.key.localiqId == "3" })
        #expect(!changes.contains { $0.key.highlevelId == "hlB" && $0.target == .highlevel })
    }

    /// `count` LocaliQ contacts (ids 9000…), as a CSV through `localiq-contacts`.
    private func export(_ ids: [Int]) -> String {
        "id,email,first_name\n" + ids.map { "\(9000 + $0),person\($0)@example.com,Person \($0)\n" }.joined()
    }

    @Test("a newer copy of the same export replaces the older: records missing from it are gone, and plans read one file")
    func newerCopyReplaces() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        // Last night 20 people; tonight's copy, saved under a new name, lacks person 20 and adds person 21.
        let lastNight = try Importer(database: workspace.database).run(try workspace.file("contacts-2026-11-29.csv", export(Array(1...20))), mapping: mapping)
        let tonight = try Importer(database: workspace.database).run(
            try workspace.file("contacts-2026-11-30.csv", export(Array(1...19) + [21])), mapping: mapping)
        #expect(lastNight.replaced == [])
        let replaced = try #require(tonight.replaced?.first)
        #expect(replaced.importId == lastNight.importId && replaced.records == 20 && replaced.held == 19)
        #expect(try workspace.database.currentImports().map(\.id) == [tonight.importId])
        let set = try Planner(database: workspace.database).plan(workspace: "w")
        #expect(set.header.inputs.map(\.importId) == [tonight.importId])
        let created = Set(set.changes.filter { $0.op == .create && $0.target == .highlevel }.compactMap(\.key.localiqId))
        #expect(created == Set((Array(1...19) + [21]).map { "\(9000 + $0)" }))
        // A third night replaces tonight's; last night's stays retired.
        let third = try Importer(database: workspace.database).run(try workspace.file("contacts-2026-12-01.csv", export(Array(1...19) + [21, 22])), mapping: mapping)
        #expect(third.replaced?.map(\.importId) == [tonight.importId])
        #expect(try workspace.database.currentImports().map(\.id) == [third.importId])
    }

    @Test("a contact once in step with a LocaliQ record that the export no longer holds is reported gone, not written to LocaliQ as new")
    func agreedThenMissingIsGoneNotNew() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let people = [("hl1", "ana"), ("hl2", "bo"), ("hl3", "carl"), ("hl4", "dee")]
        try workspace.database.storeContacts(
            try people.map { id, name in try #require(Contact(json: .object(["id": .string(id), "email": .string("\(name)@example.com"), "firstName": .string(name)]))) })
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        // Ana and Bo are in LocaliQ (matched by email, no link), Dee too but archived there; Carl is only in HighLevel.
        _ = try Importer(database: workspace.database).run(
            try workspace.file(
                "contacts.csv", "id,email,first_name,archived_at\n1,ana@example.com,ana,\n2,bo@example.com,bo,\n4,dee@example.com,dee,2026-11-01\n"),
            mapping: mapping)
        let first = try Planner(database: workspace.database).plan(workspace: "w")
        #expect(first.changes.filter { $0.target == .localiq && $0.op == .create }.compactMap(\.key.highlevelId) == ["hl3"])
        #expect(first.changes.contains { $0.key.highlevelId == "hl4" && $0.op == .report && $0.reason.hasPrefix("archived in LocaliQ") })
        // Tonight's export lacks Bo (deleted in LocaliQ, or a partial export) and the archived Dee.
        _ = try Importer(database: workspace.database).run(
            try workspace.file("contacts.csv", "id,email,first_name,archived_at\n1,ana@example.com,ana,\n"), mapping: mapping)
        let second = try Planner(database: workspace.database).plan(workspace: "w")
        #expect(second.changes.filter { $0.target == .localiq && $0.op == .create }.compactMap(\.key.highlevelId) == ["hl3"], "Carl is still new; Bo and Dee are not")
        for id in ["hl2", "hl4"] {
            let gone = try #require(second.changes.first { $0.key.highlevelId == id })
            #expect(gone.op == .report && gone.target == .localiq && gone.reason.hasPrefix("missing from the LocaliQ export"), "\(id): \(gone.reason)")
        }
    }

    @Test("importing the same bytes again is a no-op only while that import is current; after a newer one, they are imported again")
    func sameBytesAfterANewerImportAreImportedAgain() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        let importer = Importer(database: workspace.database)
        let original = "id,email,first_name\n1,ana@example.com,Ana\n"
        let first = try importer.run(try workspace.file("contacts.csv", original), mapping: mapping)
        #expect(try importer.run(try workspace.file("contacts.csv", original), mapping: mapping).alreadyImportedAs == first.importId)
        // A wrong edit is imported, then the original file is put back.
        _ = try importer.run(try workspace.file("contacts.csv", "id,email,first_name\n1,ana@example.com,Wrong\n"), mapping: mapping)
        let restored = try importer.run(try workspace.file("contacts.csv", original), mapping: mapping)
        #expect(restored.alreadyImportedAs == nil && restored.rowsStaged == 1, "the original is what the plans must read now")
        #expect(try workspace.database.currentImports().map(\.id) == [restored.importId])
        let create = try #require(try Planner(database: workspace.database).plan(workspace: "w").changes.first { $0.op == .create })
        #expect(create.after["first_name"] == .string("Ana"))
    }

    @Test("--import naming an import the plan does not read is refused with a sentence saying which it reads, never dropped")
    func chosenImportMustBeCurrent() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        let lastNight = try Importer(database: workspace.database).run(try workspace.file("contacts-2026-11-29.csv", export(Array(1...20))), mapping: mapping)
        let tonight = try Importer(database: workspace.database).run(try workspace.file("contacts-2026-11-30.csv", export(Array(1...20) + [21])), mapping: mapping)
        let planner = Planner(database: workspace.database)
        #expect(try planner.plan(imports: [tonight.importId], workspace: "w").header.inputs.map(\.importId) == [tonight.importId])
        do {
            _ = try planner.plan(imports: [lastNight.importId], workspace: "w")
            Issue.record("a replaced import was planned against")
        } catch let error as PlanError {
            #expect(
                error.localizedDescription
                    == "Import #\(lastNight.importId) (contacts-2026-11-29.csv) is no longer read by plans — a newer import of the same file or export replaced it: plans read #\(tonight.importId) (contacts-2026-11-30.csv); leave out --import to plan against all of them."
            )
        }
        #expect(throws: PlanError.self) { try planner.plan(imports: [tonight.importId, 999], workspace: "w") }
        #expect((try? planner.plan(imports: [999], workspace: "w")) == nil)
        #expect(try workspace.database.recentRuns(limit: 10).filter { $0.kind == "plan" }.count == 1, "a refused plan records no run")
    }

    @Test("exports of other records through the same mapping, or sharing few of them, stay current")
    func otherExportsStay() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        let east = try Importer(database: workspace.database).run(try workspace.file("east.csv", export(Array(1...10))), mapping: mapping)
        let west = try Importer(database: workspace.database).run(try workspace.file("west.csv", export(Array(11...20))), mapping: mapping)
        // Holds 8 of east's 10 (below nine in ten): a partial export, not a copy.
        let partial = try Importer(database: workspace.database).run(try workspace.file("east-changes.csv", export(Array(1...8))), mapping: mapping)
        #expect(west.replaced == [] && partial.replaced == [])
        #expect(try workspace.database.currentImports().map(\.id) == [east.importId, west.importId, partial.importId])
        let created = Set(try Planner(database: workspace.database).plan(workspace: "w").changes.filter { $0.op == .create }.compactMap(\.key.localiqId))
        #expect(created == Set((1...20).map { "\(9000 + $0)" }))
    }
}
