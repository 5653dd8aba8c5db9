import ArgumentParser
import Foundation
import LiqSync

/// `liqsync pull`: mirrors HighLevel into the workspace.
struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Mirror HighLevel contacts, tasks, notes and appointments into the workspace.",
        discussion: """
            Incremental by default: contacts changed since the last pull, and the tasks, notes and \
            appointments of those contacts. --full walks everything and marks contacts gone from \
            HighLevel as deleted (they are kept, not erased). A pull that is stopped — Ctrl-C, a crash, \
            the daily request limit — continues where it stopped on the next run.

            Example:
              liqsync pull
              liqsync pull --full --entities contacts,notes
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Flag(help: "Walk every contact and child record; mark contacts gone from HighLevel as deleted.")
    var full = false

    @Option(help: "Which records: contacts,tasks,notes,appointments (comma-separated).")
    var entities: String = "contacts,tasks,notes,appointments"

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        for name in entities.split(separator: ",") where PullEntity(rawValue: name.trimmingCharacters(in: .whitespaces)) == nil {
            throw ValidationError("--entities takes contacts, tasks, notes and appointments; '\(name)' is not one of them.")
        }
    }

    func run() async throws {
        let workspace = options.resolvedWorkspace
        let settings = try options.settings()
        let mirror = try workspace.openMirror()
        let client = try workspace.makeClient(settings)
        var selected = Set(entities.split(separator: ",").compactMap { PullEntity(rawValue: $0.trimmingCharacters(in: .whitespaces)) })
        selected.insert(.contacts)
        let bar = ProgressLine()
        let summary = try await Puller(mirror: mirror, client: client).run(PullOptions(full: full, entities: selected)) { progress in
            bar.update(progress.phase == .contacts ? "contacts" : "tasks, notes, appointments", done: progress.done, total: progress.total)
        }
        bar.finish()
        if json {
            Output.line(JSONOutput.render(summary))
            return
        }
        Output.line(PullReport.text(summary))
    }
}

/// The human summary of a pull.
enum PullReport {
    static func text(_ summary: PullSummary) -> String {
        var lines = ["Pulled (\(summary.mode)\(summary.resumed ? ", resumed" : "")) in \(String(format: "%.1f", summary.seconds)) s:"]
        lines.append("  entity         new  updated  deleted")
        for entity in PullEntity.allCases {
            let counts = summary.counts[entity.rawValue] ?? PullSummary.Counts(new: 0, updated: 0, deleted: 0)
            lines.append(
                "  " + entity.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(format: "%6d %8d %8d", counts.new, counts.updated, counts.deleted))
        }
        var budget = "  \(summary.requests) API requests, \(summary.throttled) throttled (429), \(summary.retries) retries"
        if let left = summary.dailyRemaining { budget += "; \(left) requests left today" }
        lines.append(budget)
        return lines.joined(separator: "\n")
    }
}
