import ArgumentParser
import Foundation
import LiqSync

/// `liqsync undo`: a plan that reverses an applied one.
struct UndoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Write a new plan that reverses what an applied plan did, to review and apply like any other.",
        discussion: """
            Built from the plan's journal and the values it recorded before each change: updates put \
            the old values back, tags added are removed, contacts the plan created are deleted (only \
            those). Nothing is written until you review and apply the new plan.

            Example:
              liqsync undo changesets/plan-20261129T132011482.lqcs
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: "The applied plan file (.lqcs).")
    var plan: String

    func run() throws {
        let workspace = options.resolvedWorkspace
        let original = try ChangeSetFile.read(URL(fileURLWithPath: plan))
        let set = try UndoPlanner(database: try workspace.openMirror()).plan(reversing: original, workspace: workspace.root.path)
        let stem = URL(fileURLWithPath: plan).deletingPathExtension().lastPathComponent
        let url = workspace.changeSets.appendingPathComponent("undo-\(stem).lqcs")
        try ChangeSetFile.write(set, to: url)
        ChangeSetSummary(set, path: url.path).lines.forEach(Output.line)
        Output.line("Next: liqsync review \(url.path)")
    }
}
