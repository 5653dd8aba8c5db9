import Foundation
import LiqSync
import Testing

/// A temporary folder with a mirror, for import tests.
struct ImportWorkspace {
    let root: URL
    let database: MirrorDatabase

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        database = try MirrorDatabase(file: root.appendingPathComponent("mirror.sqlite"))
    }

    /// Writes `contents` to a file in the folder.
    func file(_ name: String, _ contents: String) throws -> URL {
        let url = root.appendingPathComponent(name)
        try Data(contents.utf8).write(to: url)
        return url
    }

    /// Copies a committed fixture into the folder (so its errors file lands here, not in the repo).
    func fixture(_ name: String) throws -> URL {
        let url = root.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Fixtures.localiq.appendingPathComponent(name), to: url)
        return url
    }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }
}

enum Fixtures {
    static var localiq: URL {
        var directory = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("fixtures/localiq")
    }

    static var mirrors: URL { localiq.deletingLastPathComponent().appendingPathComponent("mirrors") }
}

@Suite("Importer: the committed fixtures")
struct FixtureImportTests {
    static var fixtureNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Fixtures.localiq.path)) ?? [])
            .filter { !$0.hasSuffix(".expected.json") && !$0.hasPrefix(".") }.sorted()
    }

    @Test("every fixture has its expected outcome", arguments: fixtureNames)
    func hasExpectation(name: String) {
        let base = (name as NSString).deletingPathExtension
        #expect(FileManager.default.fileExists(atPath: Fixtures.localiq.appendingPathComponent("\(base).expected.json").path))
    }

    @Test("each fixture imports with exactly the expected accounting and values", arguments: fixtureNames)
    func fixture(name: String) throws {
        let base = (name as NSString).deletingPathExtension
        let expectationData = try Data(contentsOf: Fixtures.localiq.appendingPathComponent("\(base).expected.json"))
        let expected = try #require(try JSON.parse(expectationData).object)
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let url = try workspace.fixture(name)
        let profiles = try BuiltInProfiles.all()
        let mapping: FieldMapping
        do {
            if let profile = expected["profile"]?.string {
                let (detected, _) = try ProfileDetector.detect(url, profiles: profiles)
                #expect(detected.name == profile, "detection of \(name)")
                mapping = try BuiltInProfiles.profile(named: profile)
            } else {
                mapping = try ProfileDetector.detect(url, profiles: profiles).0
            }
            let summary = try Importer(database: workspace.database).run(url, mapping: mapping)
            #expect(expected["error"] == nil, "\(name) should have failed")
            try check(summary, expected, workspace: workspace, name: name)
        } catch let error as ImportError {
            let message = error.errorDescription ?? ""
            let wanted = try #require(expected["error"]?.string, "\(name) failed: \(message)")
            #expect(message.contains(wanted))
        }
    }

    private func check(_ summary: ImportSummary, _ expected: [String: JSON], workspace: ImportWorkspace, name: String) throws {
        #expect(summary.rowsRead == Int(expected["read"]?.number ?? -1))
        #expect(summary.rowsStaged == Int(expected["staged"]?.number ?? -1))
        #expect(summary.rowsRejected == Int(expected["rejected"]?.number ?? -1))
        #expect(summary.rowsRead == summary.rowsStaged + summary.rowsRejected)
        #expect(summary.rowsExcluded == Int(expected["excluded"]?.number ?? 0))
        #expect(summary.duplicatesCollapsed == Int(expected["duplicates"]?.number ?? 0))
        let warnings = (expected["warnings"]?.object ?? [:]).mapValues { Int($0.number ?? 0) }
        #expect(summary.warnings == warnings)
        let rejections = (expected["rejections"]?.object ?? [:]).mapValues { Int($0.number ?? 0) }
        #expect(summary.rejections == rejections)
        #expect(summary.firstWindows1252Line == expected["windows1252Line"]?.number.map { Int($0) })
        #expect(summary.duplicateHeaders == (expected["duplicateHeaders"]?.array ?? []).compactMap(\.string))
        if summary.rowsRejected + summary.warningCount > 0 {
            let errors = try String(contentsOf: URL(fileURLWithPath: try #require(summary.errorsFile)), encoding: .utf8)
            let lines = errors.split(separator: "\r\n")
            #expect(lines.first == "file,line,column,value,outcome,kind,reason")
            #expect(lines.count - 1 == summary.rowsRejected + summary.warningCount)
        } else {
            #expect(summary.errorsFile == nil)
        }
        let rows = try workspace.database.stagedRows(importId: summary.importId)
        #expect(rows.count == summary.rowsRead)
        for wanted in expected["rows"]?.array ?? [] {
            let line = Int(wanted["line"]?.number ?? 0)
            let row = try #require(rows.first { $0.line == line }, "\(name): no row at line \(line)")
            if let status = wanted["status"]?.string { #expect(row.status == status, "\(name) line \(line)") }
            if let duplicateOf = wanted["duplicateOf"]?.number { #expect(row.duplicateOf == Int(duplicateOf)) }
            if let sourceId = wanted["sourceId"]?.string { #expect(row.sourceId == sourceId) }
            for (field, value) in wanted["fields"]?.object ?? [:] {
                #expect(row.fields[field] == value, "\(name) line \(line) field \(field)")
            }
            for (field, value) in wanted["activity"]?.object ?? [:] {
                #expect(row.activity?[field] == value, "\(name) line \(line) activity \(field)")
            }
            for field in wanted["absent"]?.array ?? [] { #expect(row.fields[field.string ?? ""] == nil) }
            for field in wanted["absentActivity"]?.array ?? [] { #expect(row.activity?[field.string ?? ""] == nil) }
            for (field, value) in wanted["extras"]?.object ?? [:] { #expect(row.extras[field] == value) }
        }
    }
}

@Suite("Importer: re-import, force, strict, accounting")
struct ImporterBehaviourTests {
    let messy = """
        id,first_name,email,phone_mobile,created_at
        1,Ann,ann@example.com,312-555-0120,2024-01-01
        2,Bob,bob@example,312-555-0121,2024-01-02
        3,,,,
        4,Cat,cat@example.com,call me,2024-01-04
        """

    @Test("each row is stored with its own extras, findings and duplicate mark, never those of the row before it")
    func rowsKeepTheirOwnColumns() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        // Line 2 has an unmapped column and a bad phone; line 3 has neither; line 4 repeats line 2's email.
        let url = try workspace.file(
            "alternating.csv",
            """
            id,first_name,email,phone_mobile,favourite_colour
            1,Ann,ann@example.com,not a phone,green
            2,Ben,ben@example.com,(312) 555-0101,
            3,Ann,ann@example.com,,
            """)
        let summary = try Importer(database: workspace.database).run(url, mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        let rows = try workspace.database.stagedRows(importId: summary.importId)
        #expect(rows.map(\.line) == [2, 3, 4])
        #expect(rows[0].extras == ["favourite_colour": .string("green")])
        #expect(rows[1].extras.isEmpty)
        #expect(rows[2].extras.isEmpty)
        #expect(rows[0].findings.count == 1)
        #expect(rows[1].findings.isEmpty)
        #expect(rows[1].duplicateOf == nil)
        #expect(rows[1].raw == .array(["2", "Ben", "ben@example.com", "(312) 555-0101", ""].map(JSON.string)))
        #expect(rows[1].fields["phone"] == .string("+13125550101"))
        // The last row of a person keeps the data: line 2 is its duplicate, line 4 none.
        #expect(rows[0].duplicateOf == 4)
        #expect(rows[2].duplicateOf == nil)
    }

    @Test("a row's raw cells are stored as read: escapes, a quoted newline, UTF-8, a Windows-1252 byte, a short row")
    func rawCellsAsRead() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        // Line 5's cell is Windows-1252 (0xE9 is é there, and not UTF-8); line 6 is short.
        var bytes = Data("id,first_name,notes\n1,\"Zoë \"\"Z\"\"\",\"one\ntwo\\\"\n2,Al,plain\n3,Ren".utf8)
        bytes.append(0xE9)
        bytes.append(contentsOf: Data(",x\n4,Bo\n".utf8))
        let url = workspace.root.appendingPathComponent("raw.csv")
        try bytes.write(to: url)
        let summary = try Importer(database: workspace.database).run(url, mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        let rows = try workspace.database.stagedRows(importId: summary.importId)
        #expect(rows.map(\.raw) == [["1", "Zoë \"Z\"", "one\ntwo\\"], ["2", "Al", "plain"], ["3", "René", "x"], ["4", "Bo"]].map { .array($0.map(JSON.string)) })
    }

    @Test("rows staged many to a statement keep their own values and leads across statement and batch boundaries")
    func manyRowsKeepTheirOwnValues() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        // 203 rows in batches of 90: whole statements and a short last one per batch. Every third
        // row has an unmapped cell, every fifth a bad phone, every seventh no email; each row is
        // a lead on its own day of January 2024 for one of four campaigns. No two rows are the same person.
        var lines = ["id,first_name,email,phone_mobile,favourite_colour,created_at,campaign_name"]
        func day(_ n: Int) -> String { String(format: "%02d", n % 28 + 1) }
        for n in 1...203 {
            let email = n % 7 == 0 ? "" : "p\(n)@example.com"
            let phone = n % 5 == 0 ? "ask at desk" : n < 100 ? "312-555-01\(String(format: "%02d", n))" : ""
            lines.append("\(1000 + n),Person\(n),\(email),\(phone),\(n % 3 == 0 ? "blue\(n)" : ""),2024-01-\(day(n)),Campaign \(n % 4)")
        }
        let url = try workspace.file("many.csv", lines.joined(separator: "\n"))
        var options = ImportOptions()
        options.batchSize = 90
        let summary = try Importer(database: workspace.database).run(url, mapping: try BuiltInProfiles.profile(named: "localiq-contacts"), options: options)
        let rows = try workspace.database.stagedRows(importId: summary.importId)
        #expect(rows.count == 203)
        for (offset, row) in rows.enumerated() {
            let n = offset + 1
            #expect(row.line == n + 1)
            #expect(row.sourceId == "\(1000 + n)")
            #expect(row.fields["first_name"] == .string("Person\(n)"))
            #expect(row.emailKey == (n % 7 == 0 ? nil : "p\(n)@example.com"))
            #expect(row.extras == (n % 3 == 0 ? ["favourite_colour": .string("blue\(n)")] : [:]), "line \(n + 1)")
            #expect(row.findings.count == (n % 5 == 0 ? 1 : 0), "line \(n + 1)")
            #expect(row.raw.array?.first == .string("\(1000 + n)"))
            #expect(row.fields["created"] == .string("2024-01-\(day(n))T00:00:00.000Z"))
        }
        // The leads, as the report counts them: the first ten days of January, per campaign.
        let period = try ReportPeriod(firstDay: ReportPeriod.parseDay("2024-01-01"), lastDay: ReportPeriod.parseDay("2024-01-10"), zone: .gmt)
        let report = try Reporter(database: workspace.database).make(period, generatedAt: Date(timeIntervalSince1970: 1_800_000_000))
        let inPeriod = (1...203).filter { $0 % 28 < 10 }
        #expect(report.figures.first { $0.id == "localiq_leads" }?.current == Double(inPeriod.count))
        let byCampaign = try #require(report.tables.first { $0.id == "localiq_leads_by_campaign" })
        for campaign in 0..<4 {
            let row = byCampaign.rows.first { $0.first == .text("Campaign \(campaign)") }
            #expect(row?[1] == .number(Double(inPeriod.count { $0 % 4 == campaign })), "Campaign \(campaign)")
        }
    }

    @Test("the same file twice is a no-op; --force imports it again")
    func reimport() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let url = try workspace.file("contacts.csv", messy)
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        let importer = Importer(database: workspace.database)
        let first = try importer.run(url, mapping: mapping)
        #expect(first.alreadyImportedAs == nil)
        let second = try importer.run(url, mapping: mapping)
        #expect(second.alreadyImportedAs == first.importId)
        #expect(try workspace.database.imports().count == 1)
        let forced = try importer.run(url, mapping: mapping, options: ImportOptions(force: true))
        #expect(forced.alreadyImportedAs == nil)
        #expect(forced.importId != first.importId)
        #expect(try workspace.database.stagedRows(importId: forced.importId).count == 4)
        // A changed file is a new import.
        try Data((messy + "\n5,Dan,dan@example.com,,\n").utf8).write(to: url)
        #expect(try importer.run(url, mapping: mapping).alreadyImportedAs == nil)
    }

    @Test("--strict turns warnings into rejections")
    func strict() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let url = try workspace.file("contacts.csv", messy)
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        let lenient = try Importer(database: workspace.database).run(url, mapping: mapping)
        #expect((lenient.rowsStaged, lenient.rowsRejected) == (3, 1))
        #expect(lenient.warnings == ["invalid-email": 1, "invalid-phone": 1])
        let strict = try Importer(database: workspace.database).run(url, mapping: mapping, options: ImportOptions(force: true, strict: true))
        #expect((strict.rowsStaged, strict.rowsRejected) == (1, 3))
        #expect(strict.rejections["invalid-email"] == 1)
        #expect(strict.rejections["invalid-phone"] == 1)
    }

    @Test("a file that cannot be read to the end stages nothing, and the fixed file imports cleanly")
    func failedImportLeavesNothing() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let url = try workspace.file("broken.csv", "id,first_name,email\n1,Ann,ann@example.com\n2,\"Bob,bob@example.com\n")
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        #expect(throws: ImportError.unclosedQuote(url.path, 3)) { try Importer(database: workspace.database).run(url, mapping: mapping) }
        let failed = try #require(try workspace.database.imports().first)
        #expect(failed.status == "failed")
        #expect(try workspace.database.stagedRows(importId: failed.id).isEmpty)
        try Data("id,first_name,email\n1,Ann,ann@example.com\n2,Bob,bob@example.com\n".utf8).write(to: url)
        let fixed = try Importer(database: workspace.database).run(url, mapping: mapping)
        #expect(fixed.rowsStaged == 2)
    }

    @Test("two rules for one field: the later one's value when it has one, else the earlier one's")
    func twoRulesForOneField() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let mapping = try FieldMapping.parse(
            """
            name: two-rules
            format: csv
            fields:
              - email: [Email]
              - company: [Employer]
              - custom.Note: [Note]
              - company: [Business]
              - address1: [Street]
            """, path: "two-rules.yaml")
        let url = try workspace.file(
            "two.csv",
            """
            Email,Employer,Note,Business,Street
            a@example.com,Acme,n1,Acme Holdings,1 Main St
            b@example.com,Bolt,n2,,2 Main St
            c@example.com,,n3,Crane,
            """)
        let summary = try Importer(database: workspace.database).run(url, mapping: mapping)
        let rows = try workspace.database.stagedRows(importId: summary.importId)
        #expect(rows.map { $0.fields["company"] } == [.string("Acme Holdings"), .string("Bolt"), .string("Crane")])
        #expect(rows.map { $0.fields["custom.Note"] } == [.string("n1"), .string("n2"), .string("n3")])
        #expect(rows.map { $0.fields["address1"] } == [.string("1 Main St"), .string("2 Main St"), nil])
    }

    @Test("a user mapping: aliases, transforms, defaults, required, value maps")
    func userMapping() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let mapping = try FieldMapping.parse(
            """
            name: my-crm
            format: csv
            day_first: true
            timezone: Europe/Berlin
            required: [email]
            fields:
              - email:
                  columns: [E-Mail]
                  transforms: [trim, lower]
              - first_name: [Vorname]
              - status:
                  columns: [Stufe]
                  map: {heiss: open, gewonnen: customer}
              - source:
                  constant: Messe 2024
              - created:
                  columns: [Angelegt]
              - tags:
                  concat: {columns: [Tag1, Tag2], separator: ";"}
              - custom.Lead Score:
                  columns: [Punkte]
                  default: "0"
              - custom.Mobile:
                  columns: [Handy]
                  transforms: [phone]
            """, path: "my-crm.yaml")
        let url = try workspace.file(
            "crm.csv",
            """
            Vorname;E-Mail;Stufe;Angelegt;Tag1;Tag2;Punkte;Handy
            Jörg; JOERG@Example.com ;heiss;31.12.2023;a;b;7;(312) 555-0123
            Uwe;;gewonnen;01.02.2024;;;;
            """)
        let summary = try Importer(database: workspace.database).run(url, mapping: mapping)
        #expect((summary.rowsStaged, summary.rowsRejected) == (1, 1))
        let rows = try workspace.database.stagedRows(importId: summary.importId)
        let first = try #require(rows.first)
        #expect(first.fields["email"] == .string("joerg@example.com"))
        #expect(first.fields["status"] == .string("open"))
        #expect(first.fields["source"] == .string("Messe 2024"))
        #expect(first.fields["created"] == .string("2023-12-30T23:00:00.000Z"))
        #expect(first.fields["tags"] == .array([.string("a"), .string("b")]))
        #expect(first.fields["custom.Lead Score"] == .string("7"))
        #expect(first.fields["custom.Mobile"] == .string("+13125550123"))
        // A phone in a custom field is cleaned but is not the contact's matching key.
        #expect(first.phoneKey == nil)
        #expect(rows[1].fields["custom.Lead Score"] == .string("0"))
        #expect(rows[1].status == "rejected")
    }

    @Test("mapping files with mistakes are refused with the reason", arguments: [
        ("fields: {}", "needs a 'name'"),
        ("name: x\nfields:\n  - emial: [Email]", "'emial' is not a canonical field"),
        ("name: x\nfields:\n  - email: {columns: [E], transforms: [shout]}", "'shout' is not a transform"),
        ("name: x\ntimezone: Mars/Olympus\nfields:\n  - email: [E]", "not a time zone"),
        ("name: x\nformat: xlsx\nfields:\n  - email: [E]", "'format' must be csv, json or any"),
        ("name: [x", "not valid YAML"),
    ])
    func badMappings(text: String, reason: String) {
        #expect {
            try FieldMapping.parse(text, path: "m.yaml")
        } throws: { error in
            (error as? ImportError)?.errorDescription?.contains(reason) ?? false
        }
    }

    @Test("--detect names the right profile for each kind of export")
    func detection() throws {
        let profiles = try BuiltInProfiles.all()
        let expectations = [
            ("bom-crlf.csv", "localiq-contacts"), ("ghl-export.csv", "ghl-export"), ("etl-attribution.csv", "localiq-etl"),
            ("interactions-chat.json", "localiq-interactions"),
        ]
        for (file, profile) in expectations {
            let fits = try ProfileDetector.rank(Fixtures.localiq.appendingPathComponent(file), profiles: profiles)
            #expect(fits.first?.profile == profile, "\(file)")
            #expect(fits.first?.reason.contains("signature columns") == true)
        }
    }
}
