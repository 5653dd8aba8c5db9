import ArgumentParser
import Foundation
import LiqSync

/// `liqsync listen`: HighLevel webhooks into the mirror, in real time.
struct ListenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Receive HighLevel webhooks and apply them to the mirror as they arrive.",
        discussion: """
            Serves POST /webhooks/highlevel (and /webhooks) and GET /health. Each request must be \
            signed by HighLevel — x-ghl-signature (Ed25519) or the legacy x-wh-signature (RSA) — with \
            a key from 'webhooks:' in liqsync.yaml; anything else gets 401. An event is committed to \
            the mirror's database before the 200 goes back, so one HighLevel saw acknowledged is never \
            lost, then applied to the mirror; the same webhookId twice is applied once, events older \
            than the replay window are refused. Put it behind your HTTPS reverse proxy; the nightly \
            pull reconciles whatever webhooks missed. See docs/webhooks.md.

            Example:
              liqsync listen --port 8787
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Option(help: "Port to listen on (0: any free port).")
    var port: Int = 8787

    @Option(help: "Address to listen on; 127.0.0.1 behind a reverse proxy, 0.0.0.0 to take requests directly.")
    var host: String = "127.0.0.1"

    func run() async throws {
        let workspace = options.resolvedWorkspace
        let config = try workspace.loadConfig()
        let verifier = try config.webhooks.verifier(relativeTo: workspace.root)
        guard verifier.hasKeys else { throw WebhookError.noKeys }
        let listener = WebhookListener(
            database: try workspace.openMirror(), verifier: verifier, locationId: config.locationId,
            options: .init(
                host: host, port: port, maxBodyBytes: config.webhooks.maxBodyBytes, replayWindow: TimeInterval(config.webhooks.replayWindowSeconds)))
        let host = self.host
        try await listener.run { port in
            Output.line("Listening for HighLevel webhooks on http://\(host):\(port)/webhooks/highlevel (health: /health). Ctrl-C stops.")
        }
        let counts = try listener.database.webhookEventCounts()
        Output.line("Stopped. Events stored: " + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
    }
}
