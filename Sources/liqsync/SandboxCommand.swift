import ArgumentParser
import Foundation
import LiqSync
import Sandbox

/// `liqsync sandbox`: runs the local HighLevel-compatible API server.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run a local HighLevel-compatible API server with seeded data (not the real service).",
        discussion: """
            The sandbox answers HighLevel's contacts API (v2, Version 2021-07-28) on loopback: contacts, \
            search, the deprecated list, upsert, duplicates, tasks, notes, appointments, tags and OAuth \
            tokens, with HighLevel's rate limits and error bodies. It prints its base URL, location id and \
            two ready tokens (full and read-only), then serves until Ctrl-C or SIGTERM.

            Faults (--faults): 'none'; probabilities such as '429:0.1,500:0.05,cut:0.05,slow=200:0.1,seed=7'; \
            or a schedule of request numbers such as 'at:3=429,7=cut,9=malformed'. Kinds: 429, 500, 502, \
            503, slow=MS, cut (connection dropped mid-body), malformed (invalid JSON).

            Test hooks live under /_sandbox/ (needs the printed admin key in X-Sandbox-Admin): \
            GET requests, PATCH/DELETE contacts/ID, POST contacts, PUT faults, PUT rate-limit, POST save.

            Example:
              liqsync sandbox --port 8080 --contacts 1000 --rate-limit 20/1 --faults 429:0.05
            """
    )

    @Option(help: "Port to listen on; 0 takes any free port.")
    var port: Int = 8080

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Number of seeded contacts.")
    var contacts: Int = 200

    @Option(help: "Seed for the generated data; the same seed gives the same data.")
    var seed: UInt64 = 1

    @Option(help: "Rate limit: 'BURST/SECONDS[,DAILY]' (HighLevel's is 100/10,200000) or 'off'.")
    var rateLimit: String = "100/10,200000"

    @Option(help: "Faults to inject (see above). Default: none.")
    var faults: String = "none"

    @Option(help: "Load data from this file when it exists; save to it on exit.")
    var data: String?

    @Option(help: "Lifetime of OAuth access tokens in seconds.")
    var tokenLifetime: Int = 86_399

    @Flag(help: "Let the location hold duplicate contacts (HighLevel's 'Allow Duplicate Contact').")
    var allowDuplicates = false

    @Option(help: "Send signed HighLevel webhooks for changes made through the API to this URL (e.g. a 'liqsync listen').")
    var webhookUrl: String?

    @Option(help: "File with the Ed25519 private key (base64 of 32 bytes) to sign webhooks with; created when missing.")
    var webhookKey: String?

    @Flag(help: "Print the start-up details as one JSON object.")
    var json = false

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        guard contacts >= 0 else { throw ValidationError("--contacts cannot be negative.") }
        guard RateLimitPolicy(parsing: rateLimit) != nil else {
            throw ValidationError("--rate-limit must look like 100/10, 100/10,200000 or off.")
        }
        guard FaultPlan(parsing: faults) != nil else {
            throw ValidationError("--faults is not a fault plan; see 'liqsync sandbox --help' for the forms.")
        }
        guard tokenLifetime > 0 else { throw ValidationError("--token-lifetime must be positive.") }
        if let webhookUrl {
            guard let url = URL(string: webhookUrl), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw ValidationError("--webhook-url must be an http(s) URL such as http://127.0.0.1:8787/webhooks/highlevel.")
            }
        }
    }

    /// The signing key: read from --webhook-key, or made (and saved there, mode 0600, when named).
    func webhookTarget() throws -> SandboxWebhookTarget? {
        guard let webhookUrl, let url = URL(string: webhookUrl) else { return nil }
        var key: Data?
        if let webhookKey, let text = try? String(contentsOfFile: webhookKey, encoding: .utf8) {
            key = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines))
            guard key?.count == 32 else { throw ValidationError("\(webhookKey) does not hold an Ed25519 private key (base64 of 32 bytes).") }
        }
        let raw = key ?? SandboxWebhookTarget.newEd25519Key()
        if key == nil, let webhookKey {
            try AtomicFile.write(Data(raw.base64EncodedString().utf8), to: URL(fileURLWithPath: webhookKey), mode: 0o600)
        }
        return SandboxWebhookTarget(url: url, ed25519PrivateKey: raw)
    }

    func run() async throws {
        var configuration = SandboxConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.contactCount = contacts
        configuration.seed = seed
        configuration.rateLimit = RateLimitPolicy(parsing: rateLimit) ?? .highLevel
        configuration.faults = FaultPlan(parsing: faults) ?? .none
        configuration.dataFile = data.map { URL(fileURLWithPath: $0) }
        configuration.accessTokenLifetime = TimeInterval(tokenLifetime)
        configuration.duplicatePolicy.allowDuplicates = allowDuplicates
        configuration.webhook = try webhookTarget()
        let asJSON = json
        let webhook = configuration.webhook
        try await SandboxServer.runUntilSignalled(configuration) { info in
            Output.line(asJSON ? SandboxBanner.json(info) : SandboxBanner.text(info))
            if let webhook, !asJSON {
                Output.line("Webhooks go to \(webhook.url.absoluteString), signed (x-ghl-signature) with the Ed25519 key whose public half is:")
                Output.line(webhook.ed25519PublicKeyPEM ?? "")
            }
        }
    }
}
