import Foundation
import LiqSync
import Testing

@Suite("Mirror migrations carry old data over")
struct MirrorMigrationTests {
    @Test("a base stored one row per field (before v16) is what the next plan diffs against")
    func basePerFieldCarriedOver() throws {
        let workspace = try TemporaryMirrorCopy("v15-base-per-field.sqlite")
        defer { workspace.remove() }
        let database = try MirrorDatabase(file: workspace.mirror)
        try database.storeContacts([
            try #require(
                Contact(
                    json: .object([
                        "id": .string("hl1"), "email": .string("ana@example.com"), "firstName": .string("Ana"), "city": .string("Austin"),
                        "tags": .array([.string("vip")]),
                    ]))),
            try #require(Contact(json: .object(["id": .string("hl2"), "email": .string("bo@example.com"), "city": .string("Boise")]))),
        ])
        let csv = "id,email,first_name,city,company,tags\nlq1,ana@example.com,Ana,Dallas,,vip\nlq2,bo@example.com,,Reno,,\n"
        let url = workspace.root.appendingPathComponent("export.csv")
        try Data(csv.utf8).write(to: url)
        _ = try Importer(database: database).run(url, mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        let changes = try Planner(database: database).plan(workspace: "w").changes
        // Against the carried-over base (city Austin), only LocaliQ changed the city: an update to
        // HighLevel, not the first-sync conflict a lost base would give.
        let ana = try #require(changes.first { $0.key.highlevelId == "hl1" })
        #expect(changes.filter { $0.key.highlevelId == "hl1" }.count == 1)
        #expect(ana.target == .highlevel && ana.op == .update && ana.conflict == nil)
        #expect(ana.after == ["city": .string("Dallas")] && ana.fields.first?.base == .string("Austin"))
        // The hand-written value that was not JSON was kept as text: against it both sides changed
        // the city (a lost value would make this a first-sync conflict instead).
        let bo = try #require(changes.first { $0.key.highlevelId == "hl2" })
        #expect(bo.conflict?.kind == .bothChanged && bo.fields.first?.base == .string("Boise (written by hand, not JSON)"))
    }
}

/// A committed old-format mirror copied into a temporary folder, so the migration runs on the copy.
struct TemporaryMirrorCopy {
    let root: URL
    let mirror: URL

    init(_ name: String) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        mirror = root.appendingPathComponent("mirror.sqlite")
        try FileManager.default.copyItem(at: Fixtures.mirrors.appendingPathComponent(name), to: mirror)
    }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }
}
