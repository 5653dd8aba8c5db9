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
            mirror, writes a LocaliQ export that overlaps it with the fixture generator, imports it, \
            plans, accepts the safe changes (creates, filled-in fields, added tags — conflicts are held \
            for a person), applies them, and shows where everything is. Nothing leaves this machine. \
            The sandbox's data is kept in the demo folder, so running the demo again continues from \
            where the last run left HighLevel: it is safe to repeat.

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
            let mirror = try workspace.openMirror()
            let summary = try await Puller(mirror: mirror, client: try workspace.makeClient(settings)).run(PullOptions())
            Output.line("3. " + PullReport.text(summary).replacingOccurrences(of: "\n", with: "\n   "))

            let sample = await sandbox.store.allContacts().first { $0.lastName != nil }
            if let name = sample?.lastName {
                let hits = try mirror.search(name, in: [.contacts], limit: 3)
                Output.line("4. liqsync search \"\(name)\" → \(hits.count) of the best matches:")
                for hit in hits { Output.line("     \(hit.title)  \(hit.snippet)") }
            }

            // LocaliQ's side: an export that overlaps the seeded people, with format noise.
            let drop = workspace.root.appendingPathComponent("localiq-drop")
            let export = try LocaliQExportGenerator(seed: 1, contacts: max(10, contacts * 3 / 4), sandbox: SeedGenerator(seed: configuration.seed, contactCount: contacts))
                .write(to: drop)
            Output.line("5. Wrote a LocaliQ export overlapping HighLevel: \(export.csv.path)")
            let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
            let importZone = TimeZone(identifier: settings.timezone) ?? .gmt
            let imported = try Importer(database: mirror).run(export.csv, mapping: mapping, options: ImportOptions(zone: importZone))
            Output.line("6. liqsync import → " + Self.importLine(imported))

            let planner = Planner(database: mirror, policy: (try? workspace.loadConfig().sync) ?? SyncPolicy())
            var plan = try planner.plan(workspace: workspace.root.path)
            let planURL = workspace.changeSets.appendingPathComponent("plan-\(PlanCommand.stamp(Date())).lqcs")
            Output.line("7. liqsync plan → \(plan.changes.count) changes, \(plan.conflictCount) of them conflicts for a person")
            // The demo's review policy: what fills a gap or adds is accepted; conflicts, reports and deletes wait.
            let safe = plan.changes.filter { change in
                change.conflict == nil && (change.op == .create || change.op == .add || (change.op == .update && change.fields.allSatisfy { $0.base == nil }))
            }.map(\.id)
            if !safe.isEmpty {
                plan = try ChangeReview.decide(plan, ChangeSelection(ids: Set(safe)), verdict: .accepted, by: "demo policy").0
            }
            try ChangeSetFile.write(plan, to: planURL)
            let review = ChangeSetSummary(plan, path: planURL.path)
            Output.line("8. Review by the demo policy: \(review.accepted) accepted (creates, filled-in fields, added tags); \(review.conflicts) conflicts held for you")
            for line in review.lines.dropFirst() { Output.line("   " + line) }

            if review.accepted > 0 {
                let applier = Applier(database: mirror, client: try workspace.makeClient(settings), exportsFolder: workspace.exports)
                let applied = try await applier.run(planURL)
                Output.line("9. liqsync apply → \(applied.done) applied, \(applied.failed) failed, \(applied.stale) stale; LocaliQ import files:")
                for file in applied.exports where file.hasSuffix(".csv") { Output.line("     \(file)") }
            } else {
                Output.line("9. Nothing new to apply: HighLevel and LocaliQ already agree on everything the policy may accept.")
            }
            try await sandbox.store.snapshot().write(to: sandboxData)

            let zone = TimeZone(identifier: settings.timezone) ?? .gmt
            let period = try ReportPeriod.lastFull(.month, before: Date(), zone: zone)
            let report = try Reporter(database: mirror).make(period)
            let reportFolder = workspace.reports.appendingPathComponent(period.label)
            try ReportFiles.write(report, formats: ReportFormat.allCases, to: reportFolder)
            let headline = ["new_contacts", "localiq_leads", "notes_added", "appointments_booked"].compactMap { id in
                report.figures.first { $0.id == id }.map { "\($0.title.lowercased()) \($0.current.map(Report.format) ?? "—")" }
            }
            Output.line("10. liqsync report --period month → \(period.label): " + headline.joined(separator: ", "))

            let counts = try mirror.recordCounts()
            let stem = planURL.deletingPathExtension().path
            Output.line("")
            Output.line("Where everything is:")
            Output.line("  mirror       \(workspace.mirrorFile.path)  (\(counts["contacts"] ?? 0) contacts, \(counts["notes"] ?? 0) notes, \(counts["tasks"] ?? 0) tasks, \(counts["appointments"] ?? 0) appointments)")
            Output.line("  LocaliQ in   \(drop.path)/  (ground-truth.json says what differs)")
            Output.line("  change set   \(planURL.path)")
            if FileManager.default.fileExists(atPath: stem + ".success.csv") {
                Output.line("  outcomes     \(stem).success.csv, \(stem).errors.csv")
            }
            Output.line("  exports      \(workspace.exports.path)/")
            Output.line("  report       \(reportFolder.path)/report.html  (CSV and JSON beside it)")
            Output.line("  audit log    \(workspace.logs.path)/")
            Output.line("")
            Output.line("Try next:")
            Output.line("  liqsync review \(planURL.path) --conflicts")
            Output.line("  liqsync review \(planURL.path) --html review.html")
            Output.line("  liqsync search \"\(sample?.lastName ?? "example")\" --workspace \(workspace.root.path)")
            Output.line("  liqsync report --period week --workspace \(workspace.root.path)")
        }
    }
}

extension DemoCommand {
    static func importLine(_ summary: ImportSummary) -> String {
        if let previous = summary.alreadyImportedAs { return "already imported as #\(previous) (\(summary.rowsRead) rows); nothing to do" }
        return "\(summary.rowsRead) rows read = \(summary.rowsStaged) staged + \(summary.rowsRejected) rejected"
    }
}
