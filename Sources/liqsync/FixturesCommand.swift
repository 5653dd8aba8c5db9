import ArgumentParser
import Foundation
import Sandbox

/// `liqsync fixtures`: a LocaliQ export that overlaps the sandbox, with its ground truth.
struct FixturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixtures",
        abstract: "Write a LocaliQ export (CSV and JSON) that overlaps the sandbox's people, and the truth of the differences.",
        discussion: """
            The export holds the same people as 'liqsync sandbox --seed S --contacts N' with controlled \
            differences: unchanged except for format noise (phone formats, email case and spaces, mixed \
            date formats, a BOM and CRLF line ends), one field changed, archived in LocaliQ, or new in \
            LocaliQ. ground-truth.json beside it lists which row is which, and the sandbox people the \
            export leaves out. All emails are under example.com and all phones in the 555-01xx range.

            Example:
              liqsync fixtures --out localiq-drop --contacts 150 --sandbox-contacts 200
            """
    )

    @Option(help: "Folder to write into.")
    var out: String = "localiq-export"

    @Option(help: "Seed of the export; the same seed gives the same files.")
    var seed: UInt64 = 1

    @Option(help: "LocaliQ rows to write.")
    var contacts: Int = 100

    @Option(help: "The sandbox's --seed.")
    var sandboxSeed: UInt64 = 1

    @Option(help: "The sandbox's --contacts.")
    var sandboxContacts: Int = 200

    func validate() throws {
        guard contacts > 0, contacts <= 10_000_000 else { throw ValidationError("--contacts must be between 1 and 10,000,000.") }
        guard sandboxContacts >= 0 else { throw ValidationError("--sandbox-contacts cannot be negative.") }
    }

    func run() throws {
        let generator = LocaliQExportGenerator(
            seed: seed, contacts: contacts, sandbox: SeedGenerator(seed: sandboxSeed, contactCount: sandboxContacts))
        let output = try generator.write(to: URL(fileURLWithPath: out))
        Output.line("Wrote \(output.csv.path), \(output.json.path) and \(output.truth.path).")
        let order = ["same", "changed", "removed", "new", "highlevelOnly"]
        Output.line("  " + order.map { "\($0) \(output.counts[$0] ?? 0)" }.joined(separator: ", "))
    }
}
