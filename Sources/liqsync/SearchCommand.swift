import ArgumentParser
import Foundation
import LiqSync

/// `liqsync search`: full-text search over the mirror.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search the mirror: contacts, notes, tasks and appointments, best matches first.",
        discussion: """
            Every word must match, as the start of a word in a name, email, phone, company, tag, note, \
            task or appointment. Punctuation is ignored, so any text is safe to type.

            Example:
              liqsync search "maria garcia" --in contacts --limit 5
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: "What to look for.")
    var query: String

    @Option(name: .customLong("in"), help: "Limit to: contacts, notes, tasks or appointments (repeatable).")
    var scopes: [SearchScope] = []

    @Option(help: "Most results to show.")
    var limit: Int = 20

    @Flag(help: "Print the results as JSON.")
    var json = false

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be between 1 and 1000.") }
    }

    func run() throws {
        let mirror = try options.resolvedWorkspace.openMirror()
        let hits = try mirror.search(query, in: scopes.isEmpty ? SearchScope.allCases : scopes, limit: limit)
        if json {
            Output.line(JSONOutput.render(hits))
            return
        }
        if hits.isEmpty {
            Output.line("No matches for \"\(query)\".")
            return
        }
        for hit in hits {
            Output.line("\(hit.kind.rawValue.dropLast())  \(hit.title)  [\(hit.id)]")
            Output.line("    \(hit.snippet)")
        }
    }
}

extension SearchScope: ExpressibleByArgument {}
