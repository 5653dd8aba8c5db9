import ArgumentParser
import Foundation
import LiqSync

/// `liqsync prune`: staging retention by hand (the nightly run prunes after every run).
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove the staged rows of imports no plan reads any more, and old applied webhook events.",
        discussion: """
            An import leaves the plans when a newer import of the same file, or a newer copy of \
            the same export, finishes. Its staged rows are then only history: this removes them \
            once they have been out of the plans for --keep-days, keeping each row that alone \
            records a LocaliQ lead (the report counts leads across all imports) and the import's \
            own record (file, SHA-256, counts) as history. The space is reused by the \
            next imports; --vacuum also gives it back to the disk. Webhook events 'liqsync listen' \
            applied (or ignored) more than --keep-webhook-days ago go too; failed ones stay. See \
            docs/nightly.md.

            Examples:
              liqsync prune --dry-run
              liqsync prune --keep-days 0 --vacuum
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Option(help: "Days an import stays staged after it left the plans.")
    var keepDays: Int = NightlyOptions.defaultKeepStagedDays

    @Option(help: "Days applied webhook events are kept.")
    var keepWebhookDays: Int = NightlyOptions.defaultKeepWebhookDays

    @Flag(help: "Say what would be removed; remove nothing.")
    var dryRun = false

    @Flag(help: "Afterwards rewrite the mirror without its free space (needs as much free disk as the mirror takes).")
    var vacuum = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if keepDays < 0 || keepWebhookDays < 0 { throw ValidationError("--keep-days and --keep-webhook-days must be 0 or more.") }
    }

    func run() throws {
        let mirror = try options.resolvedWorkspace.openMirror()
        let now = Date()
        var result = try mirror.pruneStaging(leftPlansBefore: now.addingTimeInterval(-Double(keepDays) * 86_400), dryRun: dryRun, now: now)
        result.webhookEvents = try mirror.pruneWebhookEvents(finishedBefore: now.addingTimeInterval(-Double(keepWebhookDays) * 86_400), dryRun: dryRun)
        if vacuum, !dryRun { try mirror.vacuum() }
        if json {
            Output.line(JSONOutput.render(result))
            return
        }
        let verb = dryRun ? "would remove" : "removed"
        for pruned in result.imports {
            let kept = pruned.leadsKept > 0 ? "; \(pruned.leadsKept) kept as the only record of their leads" : ""
            Output.line("import #\(pruned.importId) (\(pruned.file)), out of plans since \(pruned.leftPlansAt): \(verb) \(pruned.rows) rows\(kept)")
        }
        if result.imports.isEmpty {
            Output.line("Nothing to prune: no import left the plans more than \(keepDays) days ago that is not pruned already.")
        } else {
            Output.line("\(dryRun ? "Would prune" : "Pruned") \(result.imports.count) imports: \(result.rows) staged rows \(verb), \(result.leadsKept) kept for their leads.")
        }
        if result.webhookEvents > 0 {
            Output.line("\(result.webhookEvents) webhook events applied more than \(keepWebhookDays) days ago \(dryRun ? "would be" : "were") removed.")
        }
        if vacuum, !dryRun { Output.line("The mirror was rewritten without its free space.") }
    }
}
