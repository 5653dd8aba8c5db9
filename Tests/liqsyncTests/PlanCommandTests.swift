import Foundation
import Testing

/// `liqsync plan` on the built binary: what it says when there is nothing to plan, or when asked
/// for an import it does not read.
@Suite("liqsync plan (the built binary)") struct PlanCommandTests {
    @Test("an empty workspace plans nothing and says why; --import of an unknown or replaced import is one sentence and exit 1")
    func nothingToPlanAndUnreadImports() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try await CLIProcess.run(["init", "--workspace", folder.url.path])
        let empty = try await CLIProcess.run(["plan", "--workspace", folder.url.path])
        #expect(empty.code == 0)
        #expect(empty.stdout.contains("0 changes in ") && empty.stdout.contains("Nothing to review: HighLevel and LocaliQ agree."), "\(empty.stdout)")
        #expect(empty.stdout.contains("No LocaliQ import is current") && !empty.stdout.contains("Next: liqsync review"))
        let unknown = try await CLIProcess.run(["plan", "--import", "7", "--workspace", folder.url.path])
        #expect(unknown.code == 1)
        #expect(unknown.stderr.contains("There is no import #7 in this workspace: there is no current import; run 'liqsync import FILE' first."), "\(unknown.stderr)")

        _ = try await CLIProcess.run(["import", try ImportCommandTests.export("contacts-2026-11-29.csv", 1...20, in: folder).path, "--workspace", folder.url.path])
        _ = try await CLIProcess.run(["import", try ImportCommandTests.export("contacts-2026-11-30.csv", 1...21, in: folder).path, "--workspace", folder.url.path])
        let replaced = try await CLIProcess.run(["plan", "--import", "1", "--workspace", folder.url.path])
        #expect(replaced.code == 1 && replaced.stderr.contains("Import #1 (contacts-2026-11-29.csv) is no longer read by plans"), "\(replaced.stderr)")
        let planned = try await CLIProcess.run(["plan", "--import", "2", "--workspace", folder.url.path])
        #expect(planned.code == 0 && planned.stdout.contains("highlevel: create contact  21") && planned.stdout.contains("Next: liqsync review"), "\(planned.stdout)")
    }

    @Test("the plan after a plan starts from its state and says the same; --full reads everything and says the same again")
    func fullPlanSaysTheSame() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try await CLIProcess.run(["init", "--workspace", folder.url.path])
        _ = try await CLIProcess.run(["import", try ImportCommandTests.export("contacts.csv", 1...30, in: folder).path, "--workspace", folder.url.path])
        let first = try await CLIProcess.run(["plan", "--workspace", folder.url.path])
        let next = try await CLIProcess.run(["plan", "--workspace", folder.url.path])
        let full = try await CLIProcess.run(["plan", "--full", "--workspace", folder.url.path])
        #expect(first.code == 0 && next.code == 0 && full.code == 0)
        #expect(first.stdout.contains("highlevel: create contact  30"), "\(first.stdout)")
        func counts(_ output: String) -> [Substring] { output.split(separator: "\n").filter { $0.contains(": ") && !$0.contains("/") } }
        #expect(counts(next.stdout) == counts(first.stdout) && counts(full.stdout) == counts(first.stdout), "\(next.stdout)\n\(full.stdout)")
    }
}
