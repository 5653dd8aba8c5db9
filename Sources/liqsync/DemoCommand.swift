import ArgumentParser
import Foundation
import LiqSync
import Sandbox

/// `liqsync demo`: the cycle against the built-in sandbox, in a workspace of its own.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run liqsync against the built-in HighLevel sandbox, in a demo workspace.",
        discussion: """
            Starts the sandbox in this process on a free loopback port with seeded data, points a \
            workspace at it (./demo-workspace unless --dir says otherwise), pulls HighLevel into the \
            mirror, searches it, and shows where everything is. Nothing leaves this machine, and \
            running it again is safe: the next pull is incremental.

            Example:
              liqsync demo --dir /tmp/liqsync-demo --contacts 500
            """
    )

    @Option(help: "The demo workspace folder.")
    var dir: String = "demo-workspace"

    @Option(help: "Number of seeded contacts in the sandbox.")
    var contacts: Int = 200

    func validate() throws {
        guard (0...100_000).contains(contacts) else { throw ValidationError("--contacts must be between 0 and 100000.") }
    }

    func run() async throws {
        var configuration = SandboxConfiguration()
        configuration.contactCount = contacts
        // HighLevel allows 100 requests per 10 s; the demo's sandbox allows more so it finishes in seconds.
        configuration.rateLimit = RateLimitPolicy(burst: 2_000, interval: 1, daily: 200_000)
        let workspace = Workspace(root: URL(fileURLWithPath: dir))
        try await SandboxServer.withRunning(configuration) { sandbox in
            let info = sandbox.info
            Output.line("1. Started the HighLevel sandbox at \(info.baseURL) — a local test server with \(info.contacts) seeded contacts.")
            var config = (try? workspace.loadConfig()) ?? WorkspaceConfig()
            config.baseURL = info.baseURL
            config.locationId = info.locationId
            try workspace.initialize(config: config)
            try workspace.saveConfig(config)
            try workspace.credentialStore.save(.privateIntegration(token: info.token, scopes: nil))
            Output.line("2. Workspace \(workspace.root.path) points at it (config liqsync.yaml, credential stored 0600).")

            let settings = try ResolvedSettings.resolve(workspace: workspace, environment: [:])
            let mirror = try workspace.openMirror()
            let summary = try await Puller(mirror: mirror, client: try workspace.makeClient(settings)).run(PullOptions())
            Output.line("3. " + PullReport.text(summary).replacingOccurrences(of: "\n", with: "\n   "))

            let sample = await sandbox.store.allContacts().first { $0.lastName != nil }
            if let name = sample?.lastName {
                let hits = try mirror.search(name, in: [.contacts], limit: 3)
                Output.line("4. liqsync search \"\(name)\" → \(hits.count) of the best matches:")
                for hit in hits { Output.line("     \(hit.title)  \(hit.snippet)") }
            }
            let counts = try mirror.recordCounts()
            Output.line("")
            Output.line("Where everything is:")
            Output.line("  mirror     \(workspace.mirrorFile.path)  (\(counts["contacts"] ?? 0) contacts, \(counts["notes"] ?? 0) notes, \(counts["tasks"] ?? 0) tasks, \(counts["appointments"] ?? 0) appointments)")
            Output.line("  audit log  \(workspace.logs.path)/")
            Output.line("  config     \(workspace.configFile.path)")
            Output.line("")
            Output.line("Try next (the sandbox stops with the demo; start one with 'liqsync sandbox' to pull again):")
            Output.line("  liqsync search \"example\" --workspace \(workspace.root.path)")
            Output.line("  liqsync sandbox --port 8080")
            Output.line("  liqsync demo   # again: the second pull is incremental")
        }
    }
}
