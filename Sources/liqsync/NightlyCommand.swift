import ArgumentParser
import Foundation
import LiqSync

/// `liqsync nightly`: the whole cycle, unattended, for cron or a systemd timer.
struct NightlyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightly",
        abstract: "Run the whole cycle unattended: pull, import, plan, review by policy, apply, LocaliQ files, report.",
        discussion: """
            One run at a time per workspace (a second one exits 75; a lock left by a crashed run is \
            taken over). New files in the LocaliQ drop folder (--export) are imported and moved to \
            its archive/ folder. The policy file says what may be accepted without a person; \
            conflicts and deletes are always held for 'liqsync review'. Every step is logged to \
            logs/nightly.log (rotated) and the run is recorded in the mirror. See docs/nightly.md.

            Exit codes: 0 done; 1 a step failed (nothing half-applied; the next run continues); \
            3 done, some LocaliQ rows rejected; 4 done, changes held for review or failed to apply; \
            75 another run holds the lock.

            Example (crontab, 02:30 every night):
              30 2 * * * cd /srv/liqsync && liqsync nightly --export /srv/localiq-drop --notify-url https://hooks.example.com/liqsync
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Option(help: "The LocaliQ export: a file, or the drop folder LocaliQ exports are saved to.")
    var export: String

    @Option(help: "Where imported files are moved (default: archive/ inside the drop folder).")
    var archive: String?

    @Option(help: "A YAML policy of what may be accepted automatically (default: creates, filled-in fields, added tags, notes, tasks).")
    var policy: String?

    @Option(help: "A mapping file for every imported file, instead of detecting each file's profile.")
    var mapping: String?

    @Option(help: "A command run (by /bin/sh, JSON on stdin) when the run fails or holds changes.")
    var notify: String?

    @Option(help: "A URL the same JSON is POSTed to (https://, or http:// on this machine).")
    var notifyUrl: String?

    @Option(help: "The report written at the end: day, week or month (the last full one).")
    var reportPeriod: ReportBucket = .week

    @Option(help: "Days of API audit files (logs/api-*.jsonl) to keep.")
    var keepLogs: Int = 90

    @Option(help: "Days an import's staged rows are kept after a newer import took it out of the plans (see 'liqsync prune').")
    var keepStagedDays: Int = NightlyOptions.defaultKeepStagedDays

    @Option(help: "Days applied webhook events (from 'liqsync listen') are kept.")
    var keepWebhookDays: Int = NightlyOptions.defaultKeepWebhookDays

    @Option(help: "Seconds a file modified in the last 30 s is watched before import; one still changing is left for the next run (0: no check).")
    var settleSeconds: Double = 2

    @Option(help: "Days archived export files (archive/YYYY-MM-DD/) are kept (default: all kept).")
    var keepArchiveDays: Int?

    @Flag(help: "Print the example policy file and stop.")
    var showPolicy = false

    @Flag(help: "Print the run's result as JSON.")
    var json = false

    func validate() throws {
        if keepLogs < 0 || keepStagedDays < 0 || keepWebhookDays < 0 || (keepArchiveDays ?? 0) < 0 || settleSeconds < 0 || settleSeconds > 600 {
            throw ValidationError("--keep-logs, --keep-staged-days, --keep-webhook-days and --keep-archive-days must be 0 or more; --settle-seconds 0 to 600.")
        }
    }

    func run() async throws {
        if showPolicy {
            Output.line(NightlyPolicy.example)
            return
        }
        let workspace = options.resolvedWorkspace
        let config = try workspace.loadConfig()
        let settings = try options.settings()
        var nightly = NightlyOptions(export: URL(fileURLWithPath: export))
        nightly.archive = archive.map { URL(fileURLWithPath: $0) }
        nightly.policy = try policy.map { try NightlyPolicy.load(URL(fileURLWithPath: $0)) } ?? NightlyPolicy()
        nightly.mapping = try mapping.map { try FieldMapping.load(URL(fileURLWithPath: $0)) }
        nightly.notifier = try Notifier(command: notify, url: try notifyUrl.map { text in
            guard let url = URL(string: text), url.host != nil else { throw NightlyError.badNotifyURL(text) }
            return url
        })
        nightly.reportPeriod = reportPeriod
        nightly.keepLogDays = keepLogs
        nightly.keepStagedDays = keepStagedDays
        nightly.keepWebhookDays = keepWebhookDays
        nightly.keepArchiveDays = keepArchiveDays
        nightly.settleSeconds = settleSeconds
        let result: NightlyResult
        do {
            result = try await NightlyRunner(workspace: workspace, settings: settings, config: config, options: nightly).run()
        } catch let error as NightlyError {
            if case .locked = error {
                Output.error(error.localizedDescription)
                throw ExitCode(NightlyResult.Code.locked)
            }
            throw error
        }
        if json {
            Output.line(JSONOutput.render(result))
        } else {
            if let previous = result.tookOverLockFrom { Output.line("Took over the lock left by process \(previous), which is no longer running.") }
            for step in result.steps {
                let counts = step.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                Output.line("\(step.name.padding(toLength: 7, withPad: " ", startingAt: 0)) \(step.status)\(counts.isEmpty ? "" : ": " + counts)\(step.detail.map { " — \($0)" } ?? "")")
            }
            if let changeSet = result.changeSet { Output.line("Change set: \(changeSet)") }
            if result.held > 0, let changeSet = result.changeSet { Output.line("\(result.held) changes wait for you: liqsync review \(changeSet)") }
            if let report = result.report { Output.line("Report: \(report)") }
            for problem in result.notificationProblems { Output.error("Notification not delivered: \(problem).") }
            Output.line("Nightly run \(result.status) (exit \(result.exitCode)); log: \(workspace.logs.appendingPathComponent("nightly.log").path)")
        }
        if result.exitCode != 0 { throw ExitCode(result.exitCode) }
    }
}
