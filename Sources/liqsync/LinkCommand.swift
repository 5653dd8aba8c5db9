import ArgumentParser
import Foundation
import LiqSync

/// `liqsync link`: says by hand which LocaliQ record is which HighLevel contact.
struct LinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Link a LocaliQ record to a HighLevel contact by hand, or clear a link.",
        discussion: """
            Links come first when the plan matches rows to contacts: use one to settle an ambiguous \
            match, or to pair records whose email and phone differ. --clear removes a link, so the \
            next plan matches by HighLevel id, email and phone again.

            Examples:
              liqsync link 9293472379 aBcD1234efGH5678ijKL
              liqsync link 9293472379 --clear
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: "The LocaliQ id (the id column of the export).")
    var localiqId: String

    @Argument(help: "The HighLevel contact id.")
    var highlevelId: String?

    @Flag(help: "Remove the link instead.")
    var clear = false

    func validate() throws {
        if clear, highlevelId != nil { throw ValidationError("Give a HighLevel id or --clear, not both.") }
        if !clear, highlevelId == nil { throw ValidationError("Give the HighLevel contact id to link to, or --clear.") }
    }

    func run() throws {
        let mirror = try options.resolvedWorkspace.openMirror()
        if let highlevelId {
            guard try mirror.contactExists(highlevelId) else { throw MirrorError.unknownContact(highlevelId) }
            try mirror.setLink(localiqId: localiqId, contactId: highlevelId, method: "manual")
            Output.line("Linked LocaliQ \(localiqId) to HighLevel \(highlevelId).")
        } else {
            try mirror.setLink(localiqId: localiqId, contactId: nil, method: "manual")
            Output.line("Cleared the link of LocaliQ \(localiqId).")
        }
    }
}
