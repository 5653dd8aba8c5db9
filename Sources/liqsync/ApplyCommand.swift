import ArgumentParser
import Foundation
import LiqSync

/// `liqsync apply`: carry out the accepted changes of a plan.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a plan's accepted changes: to HighLevel through the API, to LocaliQ as import files.",
        discussion: """
            Only accepted changes are applied, and conflicts only once resolved. Before each HighLevel \
            write the contact is read: a change whose 'before' values no longer hold is skipped as stale. \
            A create first looks for the person by email and phone and links instead of creating twice. \
            Every outcome is journaled before the next change, so running apply again after a crash or \
            Ctrl-C continues and never applies a change twice. LocaliQ-bound changes are written to \
            exports/ as CSV and JSON. PLAN.success.csv and PLAN.errors.csv list every outcome.

            Exit codes: 0 all applied, 3 some changes failed, 4 some were stale (re-plan and review).

            Examples:
              liqsync apply changesets/plan-20261129T132011482.lqcs --dry-run
              liqsync apply changesets/plan-20261129T132011482.lqcs --to highlevel
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: "The plan file (.lqcs).")
    var plan: String

    @Option(help: "highlevel, localiq or both.")
    var to: ApplyScope = .both

    @Flag(help: "Make no write: show what would happen.")
    var dryRun = false

    @Flag(help: "Print the outcomes as JSON.")
    var json = false

    func run() async throws {
        let workspace = options.resolvedWorkspace
        let mirror = try workspace.openMirror()
        let settings = try options.settings()
        let client = to == .localiq ? nil : try workspace.makeClient(settings)
        let progress = ProgressLine()
        let applier = Applier(database: mirror, client: client, exportsFolder: workspace.exports)
        let summary = try await applier.run(URL(fileURLWithPath: plan), scope: to, dryRun: dryRun) { done, total in
            progress.update("applying", done: done, total: total)
        }
        progress.finish()
        if json {
            Output.line(JSONOutput.render(summary))
        } else {
            for item in summary.outcomes where dryRun || item.status == "failed" || item.status == "stale" {
                Output.line("#\(item.changeId) \(item.target) \(item.entity) \(item.op) \(item.recordId ?? ""): \(item.status) — \(item.message)")
            }
            if dryRun {
                Output.line("Dry run: \(summary.wouldApply) change(s) would be applied, \(summary.stale) stale; nothing was written.")
            } else {
                Output.line(
                    "Applied \(summary.done), already done \(summary.alreadyDone), failed \(summary.failed), stale \(summary.stale)."
                        + (summary.complete ? " The plan is complete." : " Run apply again to retry what failed."))
                for file in summary.exports where file.hasSuffix(".csv") { Output.line("  LocaliQ import file: \(file)") }
                if let success = summary.successFile { Output.line("  outcomes: \(success)") }
                if summary.failed + summary.stale > 0, let errors = summary.errorsFile { Output.line("  problems: \(errors)") }
            }
        }
        if summary.failed > 0 { throw ExitCode(ExitCodes.partial) }
        if summary.stale > 0 { throw ExitCode(ExitCodes.needsReview) }
    }
}

extension ApplyScope: ExpressibleByArgument {}
