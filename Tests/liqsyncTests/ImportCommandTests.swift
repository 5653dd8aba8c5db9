import Foundation
import Testing

@Suite("liqsync import (the built binary)")
struct ImportCommandTests {
    @Test("a messy file: the accounting is printed, the errors CSV written, the exit code is 3")
    func messyFile() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let initRun = try await CLIProcess.run(["init", "--workspace", folder.url.path])
        #expect(initRun.code == 0)
        let input = folder.url.appendingPathComponent("leads.csv")
        try Data(
            """
            id;first_name;last_name;email;phone_mobile;status;created_at
            1;Ana;Lopez;ANA@example.com;(312) 555-0101;active_lead;2024-01-02
            2;Bo;;bo-at-example.com;555;client;1/2/2024 9:00 AM
            3;;;;;;
            4;Cy;Dee;cy@example.com;312-555-0102;none;2024-13-45;surplus
            """.utf8
        ).write(to: input)
        let run = try await CLIProcess.run(["import", input.path, "--workspace", folder.url.path])
        #expect(run.code == 3)
        #expect(run.stdout.contains("leads.csv: profile localiq-contacts"))
        #expect(run.stdout.contains("4 rows read = 2 staged + 2 rejected"))
        #expect(run.stdout.contains("rejected: long-row 1, missing-required 1"))
        #expect(run.stdout.contains("warnings: invalid-date 1, invalid-email 1, invalid-phone 1"))
        let errorsFile = folder.url.appendingPathComponent("leads.errors.csv")
        #expect(run.stdout.contains(errorsFile.path))
        let errors = try String(contentsOf: errorsFile, encoding: .utf8)
        #expect(errors.hasPrefix("file,line,column,value,outcome,kind,reason\r\n"))
        #expect(errors.contains("leads.csv,3,email,bo-at-example.com,warning,invalid-email,"))
        #expect(errors.contains("leads.csv,4,"))
        #expect(errors.contains(",rejected,missing-required,"))
        #expect(errors.contains("leads.csv,5,,surplus,rejected,long-row,"))

        let again = try await CLIProcess.run(["import", input.path, "--workspace", folder.url.path, "--json"])
        #expect(again.code == 0)
        #expect(again.stdout.contains("\"alreadyImportedAs\""))

        let strict = try await CLIProcess.run(["import", input.path, "--workspace", folder.url.path, "--force", "--strict"])
        #expect(strict.code == 3)
        #expect(strict.stdout.contains("4 rows read = 1 staged + 3 rejected"))
    }

    /// A LocaliQ contacts export of people `ids` (LocaliQ id N, p N@example.com).
    static func export(_ name: String, _ ids: ClosedRange<Int>, in folder: TemporaryDirectory) throws -> URL {
        let url = folder.url.appendingPathComponent(name)
        try Data(("id,email,first_name\n" + ids.map { "\($0),p\($0)@example.com,P\($0)\n" }.joined()).utf8).write(to: url)
        return url
    }

    @Test("tonight's copy of an export under a new name says which earlier import it replaces")
    func replacesEarlierCopy() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try await CLIProcess.run(["init", "--workspace", folder.url.path])
        func export(_ name: String, _ ids: ClosedRange<Int>) throws -> URL { try Self.export(name, ids, in: folder) }
        let first = try await CLIProcess.run(["import", try export("contacts-2026-11-29.csv", 1...20).path, "--workspace", folder.url.path])
        #expect(first.code == 0 && !first.stdout.contains("replaces"))
        let second = try await CLIProcess.run(["import", try export("contacts-2026-11-30.csv", 2...21).path, "--workspace", folder.url.path])
        #expect(second.code == 0)
        #expect(
            second.stdout.contains(
                "replaces import #1 (contacts-2026-11-29.csv), an earlier copy of this export: 19 of its 20 LocaliQ records are here; the other one is gone from the export."),
            "\(second.stdout)")
    }

    @Test("prune removes the rows of the import a newer copy replaced; --dry-run only says so; a negative retention is a usage error")
    func pruneByHand() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try await CLIProcess.run(["init", "--workspace", folder.url.path])
        func export(_ name: String, _ ids: ClosedRange<Int>) throws -> URL { try Self.export(name, ids, in: folder) }
        _ = try await CLIProcess.run(["import", try export("contacts-2026-11-29.csv", 1...20).path, "--workspace", folder.url.path])
        _ = try await CLIProcess.run(["import", try export("contacts-2026-11-30.csv", 2...21).path, "--workspace", folder.url.path])
        let kept = try await CLIProcess.run(["prune", "--workspace", folder.url.path])
        #expect(kept.code == 0 && kept.stdout.contains("Nothing to prune"), "out of the plans for less than the 7 days: \(kept.stdout)")
        let dry = try await CLIProcess.run(["prune", "--keep-days", "0", "--dry-run", "--workspace", folder.url.path])
        #expect(dry.code == 0 && dry.stdout.contains("would remove 20 rows") && dry.stdout.contains("Would prune 1 imports"), "\(dry.stdout)")
        let pruned = try await CLIProcess.run(["prune", "--keep-days", "0", "--json", "--workspace", folder.url.path])
        #expect(pruned.code == 0)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(pruned.stdout.utf8)) as? [String: Any])
        let imports = try #require(result["imports"] as? [[String: Any]])
        #expect(imports.map { $0["importId"] as? Int } == [1] && result["rows"] as? Int == 20 && result["dryRun"] as? Bool == false, "\(pruned.stdout)")
        let again = try await CLIProcess.run(["prune", "--keep-days", "0", "--workspace", folder.url.path])
        #expect(again.code == 0 && again.stdout.contains("Nothing to prune"))
        let negative = try await CLIProcess.run(["prune", "--keep-days=-1", "--workspace", folder.url.path])
        #expect(negative.code == 2 && negative.stderr.contains("--keep-days and --keep-webhook-days must be 0 or more"), "\(negative.stderr)")
    }

    @Test("--detect says which profile fits and why; an unreadable file is one sentence and exit 1")
    func detectAndErrors() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try await CLIProcess.run(["init", "--workspace", folder.url.path])
        let input = folder.url.appendingPathComponent("export.csv")
        try Data("\"Contact Id\",\"First Name\",\"Email\",\"Business Name\",\"Last Activity\"\n\"abc\",\"Eve\",\"eve@example.com\",\"Frost\",\"\"\n".utf8)
            .write(to: input)
        let detect = try await CLIProcess.run(["import", "--detect", input.path, "--workspace", folder.url.path])
        #expect(detect.code == 0)
        #expect(detect.stdout.contains("export.csv: ghl-export fits best — 3 of its 7 signature columns"))

        let missing = try await CLIProcess.run(["import", folder.url.appendingPathComponent("nope.csv").path, "--workspace", folder.url.path])
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("cannot be read"))
        #expect(missing.stderr.split(separator: "\n").count == 1)

        let unknown = try await CLIProcess.run(["import", input.path, "--profile", "salesforce", "--workspace", folder.url.path])
        #expect(unknown.code == 1)
        #expect(unknown.stderr.contains("There is no mapping profile called 'salesforce'"))
    }
}
