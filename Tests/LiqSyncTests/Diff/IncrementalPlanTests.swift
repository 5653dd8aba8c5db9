import Foundation
import GRDB
import LiqSync
import Testing

@Suite("Plan: an incremental plan gives exactly what a full plan gives")
struct IncrementalPlanTests {
    /// A small deterministic generator (SplitMix64), so a failing round can be replayed.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    }

    struct Person {
        var id: String
        var email: String?
        var phone: String?
        var city: String
        var tags: [String]
        var updated: Int
    }

    struct Row {
        var id: String
        var email: String
        var phone: String
        var city: String
        var tags: String
    }

    static func contact(_ person: Person) throws -> Contact {
        var raw: [String: JSON] = [
            "id": .string(person.id), "firstName": .string("P"), "city": .string(person.city),
            "dateUpdated": .string(String(format: "2026-10-%02dT10:00:00.000Z", 1 + person.updated % 28)),
            "tags": .array(person.tags.map(JSON.string)),
        ]
        if let email = person.email { raw["email"] = .string(email) }
        if let phone = person.phone { raw["phone"] = .string(phone) }
        return try #require(Contact(json: .object(raw)))
    }

    static func csv(_ rows: [Row]) -> String {
        "id,email,first_name,city,phone_mobile,tags\n" + rows.map { "\($0.id),\($0.email),P,\($0.city),\($0.phone),\($0.tags)" }.joined(separator: "\n") + "\n"
    }

    static func describe(_ change: Change) -> String {
        "\(change.target.rawValue) \(change.entity.rawValue) \(change.op.rawValue) \(change.key.highlevelId ?? "-")/\(change.key.localiqId ?? "-") \(change.fields.map(\.field)) \(change.reason)"
    }

    /// A copy of the mirror as it is now, with the plan state forgotten: planned there, the plan is a full one.
    static func fullPlan(of workspace: ImportWorkspace, round: Int) throws -> (ChangeSet, Planner.Statistics) {
        let copy = workspace.root.appendingPathComponent("full-\(round).sqlite")
        let queue = try DatabaseQueue(path: workspace.root.appendingPathComponent("mirror.sqlite").path)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copy.path]) }
        try queue.close()
        let mirror = try MirrorDatabase(file: copy)
        try mirror.forgetPlanState()
        return try Planner(database: mirror).planMeasured(workspace: "w", now: Date(timeIntervalSince1970: 1_790_000_000))
    }

    @Test(
        "over rounds of random edits on both sides (keys changed and shared, contacts deleted and added, rows edited, dropped, added, reordered, base written), each incremental plan equals a full plan",
        arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func equalsFullPlan(seed: UInt64) throws {
        var random = Random(state: seed)
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let database = workspace.database
        let phones = (0..<60).map { String(format: "+1512555%04d", 100 + $0) }
        var people = (0..<240).map { n in
            Person(id: "hl\(n)", email: "p\(n)@example.com", phone: n % 3 == 0 ? phones[n % phones.count] : nil, city: "Austin", tags: ["a"], updated: 0)
        }
        try database.storeContacts(people.map(Self.contact))
        var rows = people.prefix(220).enumerated().map { offset, person in
            Row(id: "lq\(offset)", email: person.email ?? "", phone: person.phone ?? "", city: person.city, tags: "a")
        }
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        var incrementalRounds = 0
        for round in 0..<12 {
            // HighLevel side.
            var edited: [Person] = []
            for _ in 0..<random.below(12) {
                let n = random.below(people.count)
                switch random.below(5) {
                case 0: people[n].city = "City \(random.below(5))"
                case 1: people[n].email = "p\(random.below(people.count + 20))@example.com"
                case 2: people[n].phone = random.chance(50) ? phones[random.below(phones.count)] : nil
                case 3: people[n].tags = random.chance(50) ? ["a", "b"] : []
                default: people[n].email = nil
                }
                people[n].updated += 1
                edited.append(people[n])
            }
            for _ in 0..<random.below(3) {
                let n = people.count
                people.append(Person(id: "hl\(n)", email: "p\(random.below(n + 10))@example.com", phone: nil, city: "Dallas", tags: [], updated: 0))
                edited.append(people[n])
            }
            if !edited.isEmpty { try database.storeContacts(edited.map(Self.contact)) }
            if random.chance(40) { _ = try database.markContactDeleted(people[random.below(people.count)].id, at: Date(timeIntervalSince1970: 1_790_000_000)) }
            if random.chance(30) {
                try database.recordAgreements([(contactId: people[random.below(people.count)].id, field: "city", value: .string("Agreed \(round)"))])
            }
            // LocaliQ side.
            for _ in 0..<random.below(12) where !rows.isEmpty {
                let n = random.below(rows.count)
                switch random.below(6) {
                case 0: rows[n].city = "Town \(random.below(5))"
                case 1: rows[n].email = "p\(random.below(people.count + 20))@example.com"
                case 2: rows[n].phone = random.chance(50) ? phones[random.below(phones.count)] : ""
                case 3: rows.remove(at: n)
                case 4: rows[n].tags = random.chance(50) ? "a;c" : ""
                default: rows.append(Row(id: "lq-new-\(round)-\(n)", email: "new\(random.below(30))@example.com", phone: "", city: "Waco", tags: ""))
                }
            }
            if random.chance(30) { rows.shuffle(using: &random) }
            _ = try Importer(database: database).run(try workspace.file("localiq.csv", Self.csv(rows)), mapping: mapping)

            let (full, fullStatistics) = try Self.fullPlan(of: workspace, round: round)
            let (plan, statistics) = try Planner(database: database).planMeasured(workspace: "w", now: Date(timeIntervalSince1970: 1_790_000_000))
            if statistics.incremental { incrementalRounds += 1 }
            if plan.changes != full.changes {
                let mine = Set(plan.changes.map(Self.describe))
                let theirs = Set(full.changes.map(Self.describe))
                Issue.record(
                    "seed \(seed), round \(round): the incremental plan differs from the full plan; only incremental: \(mine.subtracting(theirs).sorted().prefix(5)); only full: \(theirs.subtracting(mine).sorted().prefix(5))"
                )
            }
            #expect(plan.header.mirrorFingerprint == full.header.mirrorFingerprint, "seed \(seed), round \(round)")
            #expect(plan.header.mirrorContacts == full.header.mirrorContacts, "seed \(seed), round \(round)")
            #expect(statistics.matchedPairs == fullStatistics.matchedPairs, "seed \(seed), round \(round)")
            #expect(!fullStatistics.incremental)
            #expect(try database.contactsFingerprint().digest == plan.header.mirrorFingerprint)
        }
        // The first plan has no state to start from; the later ones do.
        #expect(incrementalRounds >= 9)
    }

    /// One contact per id with the given email and phone (nil: none).
    static func store(_ database: MirrorDatabase, _ contacts: [(id: String, email: String?, phone: String?)], updated: Int = 0) throws {
        try database.storeContacts(
            contacts.map { try contact(Person(id: $0.id, email: $0.email, phone: $0.phone, city: "Austin", tags: ["a"], updated: updated)) })
    }

    /// Plans incrementally and in full after `change`, expecting the same changes, and returns them.
    static func planAfter(_ workspace: ImportWorkspace, round: Int, _ change: () throws -> Void) throws -> [Change] {
        try change()
        let (full, _) = try fullPlan(of: workspace, round: round)
        let (plan, statistics) = try Planner(database: workspace.database).planMeasured(workspace: "w", now: Date(timeIntervalSince1970: 1_790_000_000))
        #expect(statistics.incremental, "round \(round) was planned in full")
        #expect(plan.changes.map(describe) == full.changes.map(describe), "round \(round)")
        return plan.changes
    }

    @Test(
        "thousands of changed contacts and rows (read in two halves side by side, parsed ahead, diffed in parts side by side) are planned as a full plan plans them"
    )
    func thousandsOfChanges() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let count = 25_000
        var people = (0..<count).map { n in Person(id: "hl\(n)", email: "p\(n)@example.com", phone: nil, city: "Austin", tags: ["a"], updated: 0) }
        try workspace.database.storeContacts(people.map(Self.contact))
        var rows = people.enumerated().map { offset, person in Row(id: "lq\(offset)", email: person.email ?? "", phone: "", city: "Austin", tags: "a") }
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        _ = try Importer(database: workspace.database).run(try workspace.file("localiq.csv", Self.csv(rows)), mapping: mapping)
        _ = try Planner(database: workspace.database).plan(workspace: "w")
        // 2,200 contacts edited in HighLevel and 2,200 other rows in LocaliQ: each read is over the
        // 2,000 keys from which lookups are split, and under the tenth that sends a plan back to
        // reading everything. With 1,000 rows gone from the export, the diff's work is more than
        // a batch of a full plan; records parsed ahead are diffed in one, in parts side by side.
        let changes = try Self.planAfter(workspace, round: 1) {
            var edited: [Person] = []
            for n in stride(from: 0, to: 22_000, by: 10) {
                people[n].city = "Dallas"
                people[n].updated += 1
                edited.append(people[n])
                rows[n + 5].city = "Waco"
            }
            rows.removeSubrange(22_500..<23_500)
            try workspace.database.storeContacts(edited.map(Self.contact))
            _ = try Importer(database: workspace.database).run(try workspace.file("localiq.csv", Self.csv(rows)), mapping: mapping)
        }
        #expect(changes.filter { $0.target == .localiq && $0.op == .update }.count == 2_200)
        #expect(changes.filter { $0.target == .highlevel && $0.op == .update }.count == 2_200)
        #expect(changes.count { $0.key.localiqId == nil && $0.key.highlevelId != nil && $0.op == .report } == 1_000)
    }

    static let phone = "+15125550142"
    static let other = "+15125550143"

    @Test("a contact taking the phone of a row matched by email makes the row ambiguous; giving it back settles it again")
    func contactTakesAWatchedKey() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        try Self.store(workspace.database, [("hl1", "ana@example.com", nil), ("hl2", "bo@example.com", nil)])
        let rows = [Row(id: "lq1", email: "ana@example.com", phone: Self.phone, city: "Austin", tags: "a"), Row(id: "lq2", email: "bo@example.com", phone: "", city: "Austin", tags: "a")]
        _ = try Importer(database: workspace.database).run(try workspace.file("l.csv", Self.csv(rows)), mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        _ = try Planner(database: workspace.database).plan(workspace: "w")
        // hl2 takes the phone lq1 carries: lq1 now matches hl1 by email and hl2 by phone.
        let taken = try Self.planAfter(workspace, round: 1) { try Self.store(workspace.database, [("hl2", "bo@example.com", Self.phone)], updated: 1) }
        #expect(taken.contains { $0.conflict?.kind == .ambiguousMatch && $0.key.localiqId == "lq1" })
        // And gives it up: lq1 is hl1's again.
        let given = try Self.planAfter(workspace, round: 2) { try Self.store(workspace.database, [("hl2", "bo@example.com", nil)], updated: 2) }
        #expect(!given.contains { $0.conflict?.kind == .ambiguousMatch })
    }

    @Test("when one of two contacts sharing a row's phone lets it go, the other one's claim makes the row ambiguous")
    func sharedKeyBecomesSingle() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        try Self.store(workspace.database, [("hl1", "ana@example.com", nil), ("hl2", "bo@example.com", Self.phone), ("hl3", "cy@example.com", Self.phone)])
        let rows = [Row(id: "lq1", email: "ana@example.com", phone: Self.phone, city: "Austin", tags: "a")]
        _ = try Importer(database: workspace.database).run(try workspace.file("l.csv", Self.csv(rows)), mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        let first = try Planner(database: workspace.database).plan(workspace: "w")
        #expect(!first.changes.contains { $0.conflict?.kind == .ambiguousMatch && $0.key.localiqId == "lq1" })
        let after = try Self.planAfter(workspace, round: 1) { try Self.store(workspace.database, [("hl3", "cy@example.com", Self.other)], updated: 1) }
        #expect(after.contains { $0.conflict?.kind == .ambiguousMatch && $0.key.localiqId == "lq1" })
    }

    @Test("a matched contact deleted, a new contact for an unmatched row, and a second row for one contact are each planned as a full plan plans them")
    func contactsComeAndGo() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        try Self.store(workspace.database, [("hl1", "ana@example.com", nil), ("hl2", "bo@example.com", Self.phone)])
        var rows = [Row(id: "lq1", email: "ana@example.com", phone: "", city: "Austin", tags: "a"), Row(id: "lq2", email: "bo@example.com", phone: "", city: "Austin", tags: "a"), Row(id: "lq3", email: "cy@example.com", phone: "", city: "Austin", tags: "a")]
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        _ = try Importer(database: workspace.database).run(try workspace.file("l.csv", Self.csv(rows)), mapping: mapping)
        _ = try Planner(database: workspace.database).plan(workspace: "w")
        let deleted = try Self.planAfter(workspace, round: 1) { _ = try workspace.database.markContactDeleted("hl1", at: Date(timeIntervalSince1970: 1_790_000_000)) }
        #expect(deleted.contains { $0.op == .create && $0.key.localiqId == "lq1" })
        let created = try Self.planAfter(workspace, round: 2) { try Self.store(workspace.database, [("hl3", "cy@example.com", nil)]) }
        #expect(!created.contains { $0.op == .create && $0.key.localiqId == "lq3" })
        // A second row for hl2: another email, hl2's phone.
        rows.append(Row(id: "lq4", email: "bo.work@example.com", phone: Self.phone, city: "Austin", tags: "a"))
        let shared = try Self.planAfter(workspace, round: 3) { _ = try Importer(database: workspace.database).run(try workspace.file("l.csv", Self.csv(rows)), mapping: mapping) }
        #expect(shared.contains { $0.conflict?.kind == .ambiguousMatch && $0.key.highlevelId == "hl2" })
        rows.removeLast()
        let settled = try Self.planAfter(workspace, round: 4) { _ = try Importer(database: workspace.database).run(try workspace.file("l.csv", Self.csv(rows)), mapping: mapping) }
        #expect(!settled.contains { $0.conflict?.kind == .ambiguousMatch })
    }

    @Test("a contact no row speaks for is named as the last plan knew it while it is unchanged, and by its new keys once it changes, as a full plan names it")
    func unseenContactsFollowed() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        try Self.store(workspace.database, [("hl1", "ana@example.com", Self.phone), ("hl2", "bo@example.com", nil), ("hl3", "cy@example.com", nil)])
        var rows = ["ana", "bo", "cy"].enumerated().map { Row(id: "lq\($0 + 1)", email: "\($1)@example.com", phone: "", city: "Austin", tags: "a") }
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        _ = try Importer(database: workspace.database).run(try workspace.file("l.csv", Self.csv(rows)), mapping: mapping)
        _ = try Planner(database: workspace.database).plan(workspace: "w")
        func named(_ changes: [Change]) -> [RecordKey] { changes.filter { $0.key.highlevelId == "hl1" }.map(\.key) }
        // lq1 leaves the export: hl1 is read, reported, and kept in the state by its keys.
        rows.removeFirst()
        let gone = try Self.planAfter(workspace, round: 1) { _ = try Importer(database: workspace.database).run(try workspace.file("l.csv", Self.csv(rows)), mapping: mapping) }
        #expect(named(gone).map(\.email) == ["ana@example.com"])
        #expect(named(gone).map(\.phone) == [Self.phone])
        // Another contact changes; hl1 does not, and is named as the state knew it.
        let kept = try Self.planAfter(workspace, round: 2) { try Self.store(workspace.database, [("hl2", "bo@example.com", Self.other)], updated: 1) }
        #expect(named(kept).map(\.email) == ["ana@example.com"])
        // hl1's email and phone change in HighLevel: it is named by the new ones.
        let moved = try Self.planAfter(workspace, round: 3) { try Self.store(workspace.database, [("hl1", "ana.new@example.com", nil)], updated: 2) }
        #expect(named(moved).map(\.email) == ["ana.new@example.com"])
        #expect(named(moved).map(\.phone) == [nil])
        // Unchanged again the night after: still by the new ones.
        let after = try Self.planAfter(workspace, round: 4) { try Self.store(workspace.database, [("hl3", "cy@example.com", Self.other)], updated: 1) }
        #expect(named(after).map(\.email) == ["ana.new@example.com"])
    }

    @Test("a contact whose row leaves the export after its agreed base was removed is new to LocaliQ again, as a full plan plans it")
    func unseenAfterBaseRemoved() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        try Self.store(workspace.database, [("hl1", "ana@example.com", nil), ("hl2", "bo@example.com", nil)])
        var rows = [Row(id: "lq1", email: "ana@example.com", phone: "", city: "Austin", tags: "a"), Row(id: "lq2", email: "bo@example.com", phone: "", city: "Austin", tags: "a")]
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        _ = try Importer(database: workspace.database).run(try workspace.file("l.csv", Self.csv(rows)), mapping: mapping)
        // Each pair agrees; the first plan records it as the base.
        _ = try Planner(database: workspace.database).plan(workspace: "w")
        let changes = try Self.planAfter(workspace, round: 1) {
            let queue = try DatabaseQueue(path: workspace.root.appendingPathComponent("mirror.sqlite").path)
            try queue.write { db in try db.execute(sql: "DELETE FROM base WHERE contact_id = 'hl1'; DELETE FROM base_digests WHERE contact_id = 'hl1'") }
            try queue.close()
            rows.removeFirst()
            _ = try Importer(database: workspace.database).run(try workspace.file("l.csv", Self.csv(rows)), mapping: mapping)
        }
        #expect(changes.contains { $0.target == .localiq && $0.op == .create && $0.key.highlevelId == "hl1" })
    }

    @Test(
        "the state is a file beside the mirror, readable by its owner only; damaged, cut short, gone or left from an earlier plan, it is not read: the next plan reads everything, plans the same changes and keeps a new state"
    )
    func stateFileNotTrusted() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        try Self.store(workspace.database, [("hl1", "ana@example.com", nil), ("hl2", "bo@example.com", nil)])
        let rows = [Row(id: "lq1", email: "ana@example.com", phone: "", city: "Austin", tags: "a"), Row(id: "lq2", email: "bo@example.com", phone: "", city: "Austin", tags: "a")]
        _ = try Importer(database: workspace.database).run(try workspace.file("l.csv", Self.csv(rows)), mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        _ = try Planner(database: workspace.database).plan(workspace: "w")
        let file = workspace.root.appendingPathComponent("mirror.sqlite-plan-state")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let earlier = try Data(contentsOf: file)
        let damages: [(String, (URL) throws -> Void)] = [
            ("a byte flipped", { url in
                var bytes = [UInt8](try Data(contentsOf: url))
                bytes[bytes.count / 2] ^= 0x40
                try Data(bytes).write(to: url)
            }),
            ("cut short", { url in try Data(try Data(contentsOf: url).dropLast()).write(to: url) }),
            ("gone", { url in try FileManager.default.removeItem(at: url) }),
            ("an earlier plan's", { url in try earlier.write(to: url) }),
        ]
        for (round, (damage, apply)) in damages.enumerated() {
            try Self.store(workspace.database, [("hl1", "ana@example.com", nil)], updated: round + 1)
            _ = try Planner(database: workspace.database).plan(workspace: "w")
            try Self.store(workspace.database, [("hl2", "bo\(round)@example.com", nil)], updated: round + 1)
            try apply(file)
            let (full, _) = try Self.fullPlan(of: workspace, round: round)
            let (plan, statistics) = try Planner(database: workspace.database).planMeasured(workspace: "w", now: Date(timeIntervalSince1970: 1_790_000_000))
            #expect(!statistics.incremental, "state file \(damage)")
            #expect(plan.changes.map(Self.describe) == full.changes.map(Self.describe), "state file \(damage)")
            #expect(plan.changes.contains { $0.key.highlevelId == "hl2" }, "state file \(damage)")
            let (_, next) = try Planner(database: workspace.database).planMeasured(workspace: "w")
            #expect(next.incremental, "after a state file \(damage)")
        }
    }

    @Test("each plan writes its state over a spare file kept beside it, readable by its owner only, and the next plan still follows it; forgetting the state removes both files")
    func spareStateFile() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        try Self.store(workspace.database, [("hl1", "ana@example.com", nil), ("hl2", "bo@example.com", nil)])
        let rows = [Row(id: "lq1", email: "ana@example.com", phone: "", city: "Austin", tags: "a"), Row(id: "lq2", email: "bo@example.com", phone: "", city: "Austin", tags: "a")]
        _ = try Importer(database: workspace.database).run(try workspace.file("l.csv", Self.csv(rows)), mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        let state = workspace.root.appendingPathComponent("mirror.sqlite-plan-state")
        let spare = workspace.root.appendingPathComponent(".mirror.sqlite-plan-state.spare")
        for round in 0..<4 {
            try Self.store(workspace.database, [("hl\(round % 2 + 1)", round % 2 == 0 ? "ana@example.com" : "bo@example.com", nil)], updated: round + 1)
            let (full, _) = try Self.fullPlan(of: workspace, round: round)
            let (plan, statistics) = try Planner(database: workspace.database).planMeasured(workspace: "w", now: Date(timeIntervalSince1970: 1_790_000_000))
            #expect(statistics.incremental == (round > 0), "round \(round)")
            #expect(plan.changes.map(Self.describe) == full.changes.map(Self.describe), "round \(round)")
        }
        #expect(FileManager.default.fileExists(atPath: state.path))
        let attributes = try FileManager.default.attributesOfItem(atPath: spare.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        try workspace.database.forgetPlanState()
        #expect(!FileManager.default.fileExists(atPath: state.path))
        #expect(!FileManager.default.fileExists(atPath: spare.path))
    }

    @Test("a link set by hand sends the next plan back to reading everything, with the same result")
    func linkChangeFallsBack() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        try Self.store(workspace.database, [("hl1", "ana@example.com", nil), ("hl2", "bo@example.com", nil)])
        let rows = [Row(id: "lq1", email: "ana@example.com", phone: "", city: "Austin", tags: "a")]
        _ = try Importer(database: workspace.database).run(try workspace.file("l.csv", Self.csv(rows)), mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        _ = try Planner(database: workspace.database).plan(workspace: "w")
        try workspace.database.setLink(localiqId: "lq1", contactId: "hl2", method: "manual")
        let (full, _) = try Self.fullPlan(of: workspace, round: 1)
        let (plan, statistics) = try Planner(database: workspace.database).planMeasured(workspace: "w", now: Date(timeIntervalSince1970: 1_790_000_000))
        #expect(!statistics.incremental)
        #expect(plan.changes.map(Self.describe) == full.changes.map(Self.describe))
        #expect(plan.changes.contains { $0.key.highlevelId == "hl2" && $0.key.localiqId == "lq1" })
        // The plan after it starts from the state that plan kept.
        let (_, next) = try Planner(database: workspace.database).planMeasured(workspace: "w")
        #expect(next.incremental)
    }
}

extension IncrementalPlanTests.Random: RandomNumberGenerator {}
