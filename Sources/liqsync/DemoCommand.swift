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
            workspace at it (./demo-workspace unless --dir says otherwise), writes a LocaliQ export \
            that overlaps it with the fixture generator into a drop folder, and runs the nightly \
            cycle on it: pull, import, plan, review by the default policy (creates, filled-in fields, \
            added tags, notes and tasks are accepted; conflicts are held for a person), apply, the \
            LocaliQ import files and last month's report. Then it shows where everything is. \
            Nothing leaves this machine. The sandbox's data is kept in the demo folder, so running the \
            demo again continues from where the last run left HighLevel: it is safe to repeat.

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
        let sandboxData = workspace.root.appendingPathComponent("sandbox-data.json")
        configuration.dataFile = sandboxData
        try FileManager.default.createDirectory(at: workspace.root, withIntermediateDirectories: true)
        try await SandboxServer.withRunning(configuration) { sandbox in
            defer { Output.line("") }
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
            // LocaliQ's side: an export that overlaps the seeded people, with format noise, saved
            // into the drop folder the nightly run imports from.
            let generated = workspace.root.appendingPathComponent("localiq-generated")
            let export = try LocaliQExportGenerator(seed: 1, contacts: max(10, contacts * 3 / 4), sandbox: SeedGenerator(seed: configuration.seed, contactCount: contacts))
                .write(to: generated)
            let drop = workspace.root.appendingPathComponent("localiq-drop")
            try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
            let dropped = drop.appendingPathComponent(export.csv.lastPathComponent)
            try? FileManager.default.removeItem(at: dropped)
            try FileManager.default.copyItem(at: export.csv, to: dropped)
            Output.line("3. Wrote a LocaliQ export overlapping HighLevel into the drop folder: \(dropped.path)")

            // The nightly cycle with the default policy: creates, filled-in fields, added tags,
            // notes and tasks are accepted; conflicts and deletes wait for a person.
            var nightly = NightlyOptions(export: drop)
            nightly.reportPeriod = .month
            nightly.settleSeconds = 0  // the demo wrote the export itself, whole
            let runner = NightlyRunner(workspace: workspace, settings: settings, config: try workspace.loadConfig(), options: nightly)
            Output.line("4. liqsync nightly --export \(drop.path)")
            let result = try await runner.run()
            for step in result.steps {
                Output.line("   \(step.name.padding(toLength: 7, withPad: " ", startingAt: 0)) \(step.status)  " + Self.stepLine(step))
            }
            let mirror = try workspace.openMirror()
            var planURL: URL?
            if let changeSet = result.changeSet {
                let url = URL(fileURLWithPath: changeSet)
                planURL = url
                let review = ChangeSetSummary(try ChangeSetFile.read(url), path: url.path)
                Output.line("5. Review by the nightly policy: \(review.accepted) accepted (creates, filled-in fields, added tags); \(review.conflicts) conflicts held for you")
                for line in review.lines.dropFirst() { Output.line("   " + line) }
            }
            Output.line("6. Nightly run \(result.status) (exit \(result.exitCode)): \(result.failedChanges) failed, \(result.held) held for review")
            try await sandbox.store.snapshot().write(to: sandboxData)

            let sample = await sandbox.store.allContacts().first { $0.lastName != nil }
            if let name = sample?.lastName {
                let hits = try mirror.search(name, in: [.contacts], limit: 3)
                Output.line("7. liqsync search \"\(name)\" → \(hits.count) of the best matches:")
                for hit in hits { Output.line("     \(hit.title)  \(hit.snippet)") }
            }
            let reportFile = result.report ?? workspace.reports.path

            let counts = try mirror.recordCounts()
            let stem = planURL?.deletingPathExtension().path ?? ""
            Output.line("")
            Output.line("Where everything is:")
            Output.line("  mirror       \(workspace.mirrorFile.path)  (\(counts["contacts"] ?? 0) contacts, \(counts["notes"] ?? 0) notes, \(counts["tasks"] ?? 0) tasks, \(counts["appointments"] ?? 0) appointments)")
            Output.line("  LocaliQ in   \(drop.path)/archive/  (imported; \(generated.path)/ground-truth.json says what differs)")
            Output.line("  change set   \(planURL?.path ?? "none")")
            if !stem.isEmpty, FileManager.default.fileExists(atPath: stem + ".success.csv") {
                Output.line("  outcomes     \(stem).success.csv, \(stem).errors.csv")
            }
            Output.line("  exports      \(workspace.exports.path)/")
            Output.line("  report       \(reportFile)  (CSV and JSON beside it)")
            Output.line("  run log      \(workspace.logs.path)/nightly.log")
            Output.line("  audit log    \(workspace.logs.path)/")
            Output.line("")
            Output.line("Try next:")
            if let planURL {
                Output.line("  liqsync review \(planURL.path) --conflicts --workspace \(workspace.root.path)")
                Output.line("  liqsync review \(planURL.path) --html review.html --workspace \(workspace.root.path)")
            }
            Output.line("  liqsync search \"\(sample?.lastName ?? "example")\" --workspace \(workspace.root.path)")
            Output.line("  liqsync report --period week --workspace \(workspace.root.path)")
        }
    }
}

extension DemoCommand {
    static func stepLine(_ step: NightlyStep) -> String {
        let counts = step.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return counts + (step.detail.map { (counts.isEmpty ? "" : " — ") + $0 } ?? "")
    }

    static func importLine(_ summary: ImportSummary) -> String {
        if let previous = summary.alreadyImportedAs { return "already imported as #\(previous) (\(summary.rowsRead) rows); nothing to do" }
        return "\(summary.rowsRead) rows read = \(summary.rowsStaged) staged + \(summary.rowsRejected) rejected"
    }
}
