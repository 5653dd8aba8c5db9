import ArgumentParser
import Foundation
import LiqSync

/// `liqsync plan`: the change set between the mirror and staging.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Compare the mirror (HighLevel) with staging (LocaliQ) and write the changes as a change set.",
        discussion: """
            Rows are matched to contacts by link, HighLevel id, email, then phone; a row that could be \
            several contacts is a conflict, never a guess. Each matched pair is compared field by field \
            against what both sides last agreed on, so the side that changed is known; fields both \
            changed are settled by the policies under 'sync:' in liqsync.yaml, or left as conflicts. \
            Nothing is written to HighLevel or LocaliQ: review the plan, then apply it.

            A plan keeps what its matching found; the next plan starts from it and matches again \
            only the rows and contacts that changed since (same result as reading everything). \
            --full reads everything.

            Example:
              liqsync plan --direction to-highlevel
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Option(help: "both, to-highlevel or to-localiq.")
    var direction: PlanDirection = .both

    @Option(name: .customLong("import"), help: "Plan against this import id only (repeatable; default: the latest import of each file).")
    var imports: [Int64] = []

    @Flag(help: "Match every row and contact again instead of starting from the last plan.")
    var full = false

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func run() throws {
        let workspace = options.resolvedWorkspace
        let config = try workspace.loadConfig()
        let mirror = try workspace.openMirror()
        if full { try mirror.forgetPlanState() }
        var planner = Planner(database: mirror, policy: config.sync)
        planner.keepsWorkUntilExit = true
        let now = Date()
        let set = try planner.plan(direction: direction, imports: imports.isEmpty ? nil : imports, workspace: workspace.root.path, now: now)
        let url = workspace.changeSets.appendingPathComponent("plan-\(Self.stamp(now)).lqcs")
        try ChangeSetFile.write(set, to: url)
        let summary = ChangeSetSummary(set, path: url.path)
        defer { KeptUntilExit.keep(set) }
        if json {
            Output.line(JSONOutput.render(summary))
        } else {
            summary.lines.forEach(Output.line)
            if set.header.inputs.isEmpty {
                Output.line("No LocaliQ import is current: every HighLevel contact is planned as new to LocaliQ. Import the LocaliQ export first ('liqsync import FILE') unless LocaliQ is empty.")
            }
            if set.changes.isEmpty {
                Output.line("Nothing to review: HighLevel and LocaliQ agree.")
            } else {
                Output.line("Next: liqsync review \(url.path)")
            }
        }
    }

    static func stamp(_ date: Date) -> String {
        let text = Timestamp.format(date)
        return String(text.prefix(23)).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "").replacingOccurrences(of: ".", with: "")
    }
}

extension PlanDirection: ExpressibleByArgument {}
