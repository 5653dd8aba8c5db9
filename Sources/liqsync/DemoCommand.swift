import ArgumentParser
import Foundation
import LiqSync
import Sandbox

/// `liqsync demo`: the whole cycle against the built-in sandbox.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run liqsync against the built-in HighLevel sandbox and bundled fixtures.",
        discussion: """
            Starts the sandbox in this process on a free loopback port, with seeded data, and talks to \
            it the way liqsync talks to HighLevel. Nothing leaves this machine.

            Example:
              liqsync demo --contacts 500
            """
    )

    @Option(help: "Number of seeded contacts in the sandbox.")
    var contacts: Int = 200

    func validate() throws {
        guard contacts >= 0 else { throw ValidationError("--contacts cannot be negative.") }
    }

    func run() async throws {
        var configuration = SandboxConfiguration()
        configuration.contactCount = contacts
        try await SandboxServer.withRunning(configuration) { sandbox in
            let info = sandbox.info
            Output.line("Started the HighLevel sandbox at \(info.baseURL) (location \(info.locationId), \(info.contacts) contacts).")
            let transport = URLSessionTransport()
            let headers = ["Authorization": "Bearer \(info.token)", "Version": "2021-07-28", "Content-Type": "application/json"]
            guard let base = URL(string: info.baseURL) else { return }
            let search = try await transport.send(
                HTTPRequestData(
                    method: "POST", url: base.appendingPathComponent("contacts/search"), headers: headers,
                    body: Data(#"{"locationId":"\#(info.locationId)","pageLimit":5,"page":1}"#.utf8)))
            let page = try JSONSerialization.jsonObject(with: search.body) as? [String: Any]
            let total = page?["total"] as? Int ?? 0
            let first = (page?["contacts"] as? [[String: Any]])?.first
            Output.line("POST /contacts/search → \(search.status): \(total) contacts in the location.")
            if let id = first?["id"] as? String {
                let one = try await transport.send(
                    HTTPRequestData(method: "GET", url: base.appendingPathComponent("contacts/\(id)"), headers: headers))
                Output.line("GET /contacts/\(id) → \(one.status)")
                Output.line(
                    "Rate-limit budget left: \(one.header("X-RateLimit-Remaining") ?? "?") of \(one.header("X-RateLimit-Max") ?? "?") per window.")
            }
            Output.line("Next: pull into a local full-text mirror, import LocaliQ files, plan, review, apply, report.")
        }
    }
}
