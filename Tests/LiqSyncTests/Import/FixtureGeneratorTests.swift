import Foundation
import LiqSync
import Sandbox
import Testing

@Suite("The LocaliQ fixture generator")
struct FixtureGeneratorTests {
    @Test("the export overlaps the sandbox as its ground truth says, and imports without a rejection")
    func overlapsTheSandbox() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let sandbox = SeedGenerator(seed: 3, contactCount: 120)
        let output = try LocaliQExportGenerator(seed: 9, contacts: 100, sandbox: sandbox).write(to: workspace.root.appendingPathComponent("drop"))
        #expect(output.counts["same", default: 0] + output.counts["changed", default: 0] + output.counts["removed", default: 0] == 70)
        #expect(output.counts["new"] == 30)
        #expect(output.counts["highlevelOnly"] == 120 - 70)

        let truth = try #require(try JSON.parse(Data(contentsOf: output.truth)).object)
        let rows = try #require(truth["rows"]?.array)
        let people = Dictionary(uniqueKeysWithValues: sandbox.generate().contacts.map { ($0.id, $0) })
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        for file in [output.csv, output.json] {
            let summary = try Importer(database: workspace.database).run(file, mapping: mapping)
            #expect(summary.rowsRead == 100)
            #expect(summary.rowsRejected == 0)
            #expect(summary.warningCount == 0, "\(summary.warnings)")
            let staged = try workspace.database.stagedRows(importId: summary.importId)
            let byId = Dictionary(uniqueKeysWithValues: staged.compactMap { row in row.sourceId.map { ($0, row) } })
            for entry in rows {
                let id = try #require(entry["localiqId"]?.string)
                let row = try #require(byId[id])
                let kind = entry["kind"]?.string
                if let highlevelId = entry["highlevelId"]?.string {
                    let person = try #require(people[highlevelId])
                    // Format noise never hides the person: the keys equal the sandbox's.
                    #expect(row.emailKey == person.email?.lowercased())
                    #expect(row.phoneKey == person.phone)
                    #expect((row.fields["archived"] != nil) == (kind == "removed"))
                }
                if kind == "changed", let changes = entry["changes"]?.object {
                    for (field, values) in changes where field != "tags" {
                        #expect(row.fields[field]?.string == values.array?.last?.string)
                    }
                }
                if kind == "new" { #expect(entry["highlevelId"] == nil) }
            }
        }
        // The same seeds give the same files.
        let again = try LocaliQExportGenerator(seed: 9, contacts: 100, sandbox: sandbox).write(to: workspace.root.appendingPathComponent("again"))
        #expect(try Data(contentsOf: again.csv) == Data(contentsOf: output.csv))
        #expect(try Data(contentsOf: again.truth) == Data(contentsOf: output.truth))
    }
}
