import ArgumentParser
import Foundation
import LiqSync

/// `liqsync review`: read a plan, decide what may be applied.
struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Show a plan's changes and accept, reject or resolve them.",
        discussion: """
            Without decisions it prints the summary and every selected change: each field as base → \
            HighLevel / LocaliQ → proposed. Selections are change ids and ranges (3,5-9) or all, \
            narrowed by --entity, --op, --target, --conflicts and --field. Accepting never settles a \
            conflict; resolve it with ID=highlevel, ID=localiq or ID=field:value. Decisions, reviewer \
            and time are written into the plan file (rewritten atomically, with a new checksum).

            --interactive asks change by change: y accept, n reject, s skip, q quit (and h / l to \
            take HighLevel's or LocaliQ's values for a conflict); progress is saved after every answer.

            Examples:
              liqsync review changesets/plan-20261129T132011482.lqcs --conflicts
              liqsync review PLAN --accept all --target highlevel --op create
              liqsync review PLAN --resolve 12=localiq --reject 14-16
              liqsync review PLAN --html review.html
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: "The plan file (.lqcs).")
    var plan: String

    @Option(help: "Accept these changes (ids, ranges, or all), within the filters.")
    var accept: String?

    @Option(help: "Reject these changes (ids, ranges, or all), within the filters.")
    var reject: String?

    @Option(help: "Resolve a conflict: ID=highlevel, ID=localiq or ID=field:value (repeatable).")
    var resolve: [String] = []

    @Option(help: "Only contact, tags, note or task changes.")
    var entity: ChangeEntity?

    @Option(help: "Only create, update, delete, add, remove or report changes.")
    var op: ChangeOperation?

    @Option(help: "Only changes for highlevel or localiq.")
    var target: ChangeTarget?

    @Flag(help: "Only conflicts.")
    var conflicts = false

    @Option(help: "Only changes touching this field.")
    var field: String?

    @Flag(help: "Ask about each selected change in turn.")
    var interactive = false

    @Option(help: "Write a self-contained HTML review page of the selected changes (at most 5,000 in full) to this file.")
    var html: String?

    @Option(help: "Who is reviewing (default: $USER).")
    var reviewer: String?

    @Flag(help: "Print the summary and changes as JSON.")
    var json = false

    func run() throws {
        let url = URL(fileURLWithPath: plan)
        var set = try ChangeSetFile.read(url)
        let by = reviewer ?? ProcessInfo.processInfo.environment["USER"] ?? "reviewer"
        var selection = ChangeSelection(entity: entity, op: op, target: target, conflictsOnly: conflicts, field: field)
        var changed = false
        for text in resolve {
            set = try ChangeReview.resolve(set, text, by: by)
            changed = true
        }
        if let accept {
            selection.ids = try ChangeSelection.ids(accept)
            let (updated, count) = try ChangeReview.decide(set, selection, verdict: .accepted, by: by)
            set = updated
            changed = true
            Output.line("Accepted \(count) change\(count == 1 ? "" : "s").")
        }
        if let reject {
            selection.ids = try ChangeSelection.ids(reject)
            let (updated, count) = try ChangeReview.decide(set, selection, verdict: .rejected, by: by)
            set = updated
            changed = true
            Output.line("Rejected \(count) change\(count == 1 ? "" : "s").")
        }
        if changed {
            try ChangeSetFile.write(set, to: url)
            // Accepting never settles a conflict: say so rather than let 'apply' find nothing to do.
            let waiting = set.changes.filter { $0.decision?.verdict == .accepted && !$0.isApplicable && $0.conflict != nil }
            if !waiting.isEmpty {
                let ids = waiting.prefix(5).map { "#\($0.id)" }.joined(separator: ", ") + (waiting.count > 5 ? ", …" : "")
                Output.line(
                    "\(waiting.count) accepted change\(waiting.count == 1 ? " is a conflict" : "s are conflicts") (\(ids)): applied only once resolved with --resolve ID=highlevel|localiq|VALUE ('--conflicts' lists them)."
                )
            }
            let ready = set.changes.count { $0.isApplicable }
            Output.line(ready == 0 ? "No change is ready to apply yet." : "\(ready) change\(ready == 1 ? " is" : "s are") ready: liqsync apply \(url.path)")
        }
        selection.ids = nil
        if interactive {
            try runInteractive(&set, url: url, selection: selection, by: by)
        }
        if let html {
            try AtomicFile.write(Data(ChangeRendering.html(set, path: url.path, selected: selection.matches).utf8), to: URL(fileURLWithPath: html))
            let count = set.changes.count { selection.matches($0) }
            Output.line(
                count > ChangeRendering.pageLimit
                    ? "Wrote the review page \(html): \(ChangeRendering.pageLimit) of \(count) changes in full, conflicts first; narrow it with --conflicts, --entity, --op, --target or --field."
                    : "Wrote the review page \(html).")
        }
        if changed || interactive || html != nil { return }
        let shown = set.changes.filter(selection.matches)
        if json {
            Output.line(JSONOutput.render(ReviewListing(summary: ChangeSetSummary(set, path: url.path), changes: shown)))
            return
        }
        let style = ChangeRendering.Style(color: isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
        ChangeSetSummary(set, path: url.path).lines.forEach(Output.line)
        for change in shown {
            Output.line("")
            ChangeRendering.lines(change, style: style).forEach(Output.line)
        }
    }

    private func runInteractive(_ set: inout ChangeSet, url: URL, selection: ChangeSelection, by: String) throws {
        let style = ChangeRendering.Style(color: isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
        let pending = set.changes.filter { selection.matches($0) && $0.decision == nil && $0.op != .report }
        if pending.isEmpty {
            Output.line("Every selected change already has a decision.")
            return
        }
        var decided = 0
        loop: for change in pending {
            Output.line("")
            ChangeRendering.lines(change, style: style).forEach(Output.line)
            let choices = change.conflict != nil && change.conflict?.kind != .ambiguousMatch ? "[h,l,n,s,q,?]" : "[y,n,s,q,?]"
            while true {
                Output.prompt("Apply this change \(choices)? ")
                guard let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() else { break loop }
                switch answer {
                case "y" where change.conflict == nil:
                    set = try ChangeReview.decide(set, ChangeSelection(ids: [change.id]), verdict: .accepted, by: by).0
                case "h" where change.conflict != nil, "l" where change.conflict != nil:
                    set = try ChangeReview.resolve(set, "\(change.id)=\(answer == "h" ? "highlevel" : "localiq")", by: by)
                case "n":
                    set = try ChangeReview.decide(set, ChangeSelection(ids: [change.id]), verdict: .rejected, by: by).0
                case "s": continue loop
                case "q": break loop
                default:
                    Output.line(
                        change.conflict == nil
                            ? "y accept, n reject, s skip (decide later), q quit (decisions so far are kept)"
                            : "h take HighLevel's values, l take LocaliQ's, n reject, s skip, q quit")
                    continue
                }
                try ChangeSetFile.write(set, to: url)
                decided += 1
                continue loop
            }
        }
        let remaining = set.changes.filter { $0.decision == nil && $0.op != .report }.count
        Output.line("\(decided) decision\(decided == 1 ? "" : "s") saved; \(remaining) change\(remaining == 1 ? "" : "s") still undecided.")
    }
}

/// `review --json`.
struct ReviewListing: Encodable {
    var summary: ChangeSetSummary
    var changes: [Change]
}

extension ChangeEntity: ExpressibleByArgument {}
extension ChangeOperation: ExpressibleByArgument {}
extension ChangeTarget: ExpressibleByArgument {}
