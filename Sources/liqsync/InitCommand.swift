import ArgumentParser
import Foundation
import LiqSync

/// `liqsync init`: creates a workspace.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a workspace: a commented config file and the folders liqsync uses.",
        discussion: """
            Writes liqsync.yaml (API base URL, location id, where the credential comes from, time zone) \
            and creates changesets/, exports/, reports/ and logs/. An existing config is left as it is.

            Example:
              liqsync init --workspace ~/acme --location-id ve9EPM428h8vShlRW1KT
            """
    )

    @Option(name: .long, help: "The folder to create (default: $LIQSYNC_WORKSPACE, else the current folder).")
    var workspace: String?

    @Option(name: .long, help: "HighLevel API base URL.")
    var baseURL: String = HighLevelClient.defaultBaseURL

    @Option(name: .long, help: "The HighLevel location (sub-account) id.")
    var locationId: String?

    @Option(help: "Time zone for zone-less dates and report days (IANA name).")
    var timezone: String = "UTC"

    func validate() throws {
        guard URL(string: baseURL)?.host != nil else { throw ValidationError("--base-url must be a URL such as https://services.leadconnectorhq.com.") }
        guard TimeZone(identifier: timezone) != nil else { throw ValidationError("--timezone must be an IANA time zone such as America/Chicago.") }
    }

    func run() throws {
        let target = Workspace.locate(workspace)
        let created = try target.initialize(config: WorkspaceConfig(baseURL: baseURL, locationId: locationId, timezone: timezone))
        if created {
            Output.line("Created the workspace \(target.root.path).")
            Output.line("Next: store a credential with 'liqsync auth token' (or 'liqsync auth login'), then 'liqsync pull'.")
        } else {
            Output.line("\(target.root.path) is already a workspace; its config was left as it is.")
        }
    }
}
