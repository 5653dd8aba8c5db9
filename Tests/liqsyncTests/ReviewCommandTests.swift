import Foundation
import LiqSync
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite("liqsync review (the built binary)")
struct ReviewCommandTests {
    /// A plan of five changes: two contact creates, an update, a conflict, a report.
    private func writePlan(in folder: URL) throws -> URL {
        let header = ChangeSetHeader(
            planId: "p1", created: "2026-11-29T10:00:00.000Z", workspace: folder.path, direction: "both", mirrorFingerprint: "f", mirrorContacts: 3,
            inputs: [], policies: [:])
        let changes = [
            Change(
                id: 1, target: .highlevel, entity: .contact, op: .create, key: RecordKey(localiqId: "1", email: "ana@example.com"),
                after: ["first_name": .string("Ana")], reason: "new in LocaliQ"),
            Change(
                id: 2, target: .highlevel, entity: .contact, op: .create, key: RecordKey(localiqId: "2", email: "bo@example.com"),
                after: ["first_name": .string("Bo <b>")], reason: "new in LocaliQ"),
            Change(
                id: 3, target: .localiq, entity: .contact, op: .update, key: RecordKey(highlevelId: "h3", localiqId: "3"), before: ["city": .null],
                after: ["city": .string("Boise")],
                fields: [FieldDiff(field: "city", base: nil, highlevel: .string("Boise"), localiq: nil, proposed: .string("Boise"))],
                reason: "first sync: filled from HighLevel"),
            Change(
                id: 4, target: .highlevel, entity: .contact, op: .update, key: RecordKey(highlevelId: "h4", localiqId: "4"),
                before: ["company": .string("HL Co")],
                fields: [FieldDiff(field: "company", base: nil, highlevel: .string("HL Co"), localiq: .string("LQ Co"), proposed: nil)],
                reason: "first sync: both sides hold different values", conflict: Conflict(kind: .firstSync, fields: ["company"])),
            Change(id: 5, target: .highlevel, entity: .contact, op: .report, key: RecordKey(highlevelId: "h5", localiqId: "5"), reason: "archived in LocaliQ"),
        ]
        let url = folder.appendingPathComponent("plan.lqcs")
        try ChangeSetFile.write(ChangeSet(header: header, changes: changes), to: url)
        return url
    }

    @Test("listing, filters, accept/reject/resolve by selection, and the decisions stored in the file")
    func decisions() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let plan = try writePlan(in: folder.url)
        let listing = try await CLIProcess.run(["review", plan.path])
        #expect(listing.code == 0)
        #expect(listing.stdout.contains("5 changes in"))
        #expect(listing.stdout.contains("#4 highlevel contact update"))
        #expect(listing.stdout.contains("[conflict: first-sync]"))
        #expect(listing.stdout.contains(#"company: base — → HighLevel "HL Co" / LocaliQ "LQ Co""#))
        #expect(listing.stdout.contains(#"city: — → "Boise""#))
        #expect(!listing.stdout.contains("\u{1B}["), "no colour when not a terminal")

        let conflicts = try await CLIProcess.run(["review", plan.path, "--conflicts"])
        #expect(conflicts.stdout.contains("#4 ") && !conflicts.stdout.contains("#1 "))

        let accept = try await CLIProcess.run(["review", plan.path, "--accept", "all", "--op", "create", "--reviewer", "ops"])
        #expect(accept.code == 0)
        #expect(accept.stdout.contains("Accepted 2 changes."))
        let more = try await CLIProcess.run(["review", plan.path, "--accept", "3-5", "--reject", "2", "--reviewer", "ops"])
        #expect(more.stdout.contains("Accepted 2 changes."))  // 3 and 4; 5 is a report
        #expect(more.stdout.contains("Rejected 1 change."))
        #expect(
            more.stdout.contains("1 accepted change is a conflict (#4): applied only once resolved with --resolve ID=highlevel|localiq|VALUE"),
            "accepting does not settle a conflict, and the reviewer is told: \(more.stdout)")
        #expect(more.stdout.contains("2 changes are ready: liqsync apply \(plan.path)"))
        var set = try ChangeSetFile.read(plan)
        #expect(set.changes.map { $0.decision?.verdict } == [.accepted, .rejected, .accepted, .accepted, nil])
        #expect(set.changes[0].decision?.by == "ops")
        // Accepting a conflict does not settle it.
        #expect(set.changes[3].isApplicable == false)
        let resolved = try await CLIProcess.run(["review", plan.path, "--resolve", "4=localiq"])
        #expect(resolved.code == 0)
        #expect(resolved.stdout.contains("3 changes are ready") && !resolved.stdout.contains("is a conflict"), "\(resolved.stdout)")
        set = try ChangeSetFile.read(plan)
        #expect(set.changes[3].isApplicable)
        #expect(set.changes[3].decision?.resolution == ["company": .string("LQ Co")])

        let bad = try await CLIProcess.run(["review", plan.path, "--accept", "9"])
        #expect(bad.code == 1)
        #expect(bad.stderr.contains("There is no change 9; this plan has changes 1 to 5."))
        let notConflict = try await CLIProcess.run(["review", plan.path, "--resolve", "1=localiq"])
        #expect(notConflict.stderr.contains("Change 1 is not a conflict"))
    }

    @Test("interactive: answers from standard input, progress kept after quitting")
    func interactive() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let plan = try writePlan(in: folder.url)
        let binary = CLIProcess.binary.path
        // y to #1, n to #2, s to #3, then quit.
        let first = try await CLIProcess.run(["sh", "-c", "printf 'y\\nn\\ns\\nq\\n' | '\(binary)' review '\(plan.path)' --interactive --reviewer ops"], shell: true)
        #expect(first.code == 0)
        #expect(first.stdout.contains("2 decisions saved; 2 changes still undecided."))
        var set = try ChangeSetFile.read(plan)
        #expect(set.changes.map { $0.decision?.verdict } == [.accepted, .rejected, nil, nil, nil])
        // The next session starts at the first undecided change: #3 yes, then l for the conflict.
        let second = try await CLIProcess.run(["sh", "-c", "printf 'what\\ny\\nl\\n' | '\(binary)' review '\(plan.path)' --interactive"], shell: true)
        #expect(second.stdout.contains("y accept, n reject, s skip"))
        set = try ChangeSetFile.read(plan)
        #expect(set.changes[2].decision?.verdict == .accepted)
        #expect(set.changes[3].decision?.resolution == ["company": .string("LQ Co")])
    }

    @Test("the HTML page is well-formed, escapes values, and lists conflicts first")
    func htmlPage() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let plan = try writePlan(in: folder.url)
        let page = folder.url.appendingPathComponent("review.html")
        let run = try await CLIProcess.run(["review", plan.path, "--html", page.path])
        #expect(run.code == 0)
        let data = try Data(contentsOf: page)
        let parser = XMLParser(data: data)
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("Bo &lt;b&gt;"))
        let conflictAt = try #require(text.range(of: "Conflicts (1)")).lowerBound
        let changesAt = try #require(text.range(of: "Changes (4)")).lowerBound
        #expect(conflictAt < changesAt)
        #expect(!text.contains("<script"))
        // The filters choose what the page shows; the counts still cover the whole plan.
        let filtered = try await CLIProcess.run(["review", plan.path, "--html", page.path, "--target", "localiq"])
        #expect(filtered.code == 0)
        let localiq = String(decoding: try Data(contentsOf: page), as: UTF8.self)
        #expect(localiq.contains("id=\"change-3\"") && !localiq.contains("id=\"change-1\"") && !localiq.contains("id=\"change-4\""))
        #expect(localiq.contains("Changes (1)") && localiq.contains("5 changes"))
    }

    @Test("a page of a very large plan shows the first changes in full, conflicts first, and says how many more there are")
    func htmlPageLimit() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let set = try ChangeSetFile.read(try writePlan(in: folder.url))
        let page = ChangeRendering.html(set, path: "plan.lqcs", limit: 2)
        #expect(page.contains("2 of the 5 selected changes are") && page.contains("3 more are not"))
        #expect(page.contains("id=\"change-4\"") && page.contains("id=\"change-1\""))
        #expect(!page.contains("id=\"change-2\"") && !page.contains("id=\"change-5\""))
        #expect(!ChangeRendering.html(set, path: "plan.lqcs").contains("more are not"))
    }
}
