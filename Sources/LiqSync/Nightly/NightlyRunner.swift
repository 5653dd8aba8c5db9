import Foundation
import Logging

/// One step of a nightly run as its record and notification show it.
public struct NightlyStep: Sendable, Codable, Equatable {
    public var name: String
    /// `ok`, `failed`, `skipped`.
    public var status: String
    public var counts: [String: Int]
    public var detail: String?
}

/// What a nightly run does, set by `liqsync nightly`'s flags.
public struct NightlyOptions: Sendable {
    /// A LocaliQ export file, or the drop folder LocaliQ exports are saved to.
    public var export: URL
    /// Where imported files are moved (default: `archive/` inside the drop folder).
    public var archive: URL?
    /// A mapping for every file instead of detecting the profile of each.
    public var mapping: FieldMapping?
    public var policy = NightlyPolicy()
    public var notifier: Notifier?
    public var reportPeriod: ReportBucket = .week
    public var reportFormats: [ReportFormat] = ReportFormat.allCases
    /// Daily API audit files older than this many days are removed.
    public var keepLogDays = 90
    /// Staged rows of imports out of the plans for more than this many days are pruned
    /// (`MirrorDatabase.pruneStaging`): a nightly export would otherwise add its whole size to
    /// the mirror every night.
    public var keepStagedDays = NightlyOptions.defaultKeepStagedDays
    public static let defaultKeepStagedDays = 7
    /// Applied webhook events received more than this many days ago are removed
    /// (`MirrorDatabase.pruneWebhookEvents`).
    public var keepWebhookDays = NightlyOptions.defaultKeepWebhookDays
    public static let defaultKeepWebhookDays = 30
    /// Archived export files (`archive/YYYY-MM-DD/`) older than this many days are removed; nil
    /// keeps them all (the default: they are the user's files).
    public var keepArchiveDays: Int?
    /// A drop-folder file modified in the last 30 seconds is watched this long first; if it
    /// changes meanwhile it is still being written (an upload in progress) and is left for the
    /// next run. 0 skips the check.
    public var settleSeconds: Double = 2

    public init(export: URL) {
        self.export = export
    }
}

/// The outcome of a run; `exitCode` is what `liqsync nightly` exits with (docs/nightly.md).
public struct NightlyResult: Sendable, Codable, Equatable {
    public var status: String
    public var exitCode: Int32
    public var startedAt: String
    public var endedAt: String
    public var steps: [NightlyStep]
    public var held: Int
    public var conflicts: Int
    public var failedChanges: Int
    public var rejectedRows: Int
    /// Drop-folder files that could not be imported at all, moved to `archive/DATE/rejected/`.
    public var rejectedFiles: [String] = []
    public var changeSet: String?
    public var report: String?
    public var exports: [String]
    public var tookOverLockFrom: Int32?
    public var notificationProblems: [String]

    public enum Code {
        public static let ok: Int32 = 0
        public static let failed: Int32 = 1
        /// Also when a whole drop-folder file was rejected (status `rejected-files`).
        public static let rejectedRows: Int32 = 3
        public static let held: Int32 = 4
        public static let locked: Int32 = 75
    }
}

/// pull → import the drop folder → plan → review by policy → apply → LocaliQ files → report, under
/// a lock, recorded as one run. A step that fails stops the run (the mirror stays as the last
/// finished step left it, and every step resumes on the next run).
public struct NightlyRunner: Sendable {
    public let workspace: Workspace
    public let settings: ResolvedSettings
    public let config: WorkspaceConfig
    public let options: NightlyOptions
    /// Builds the API client (tests pass fast retries).
    public let makeClient: @Sendable () throws -> HighLevelClient
    let logger: Logger

    public init(
        workspace: Workspace, settings: ResolvedSettings, config: WorkspaceConfig, options: NightlyOptions,
        makeClient: (@Sendable () throws -> HighLevelClient)? = nil, logger: Logger = Logger(label: "liqsync.nightly")
    ) {
        self.workspace = workspace
        self.settings = settings
        self.config = config
        self.options = options
        self.makeClient = makeClient ?? { try workspace.makeClient(settings) }
        self.logger = logger
    }

    public var log: RotatingLog { RotatingLog(url: workspace.logs.appendingPathComponent("nightly.log")) }

    public func run(now: @Sendable () -> Date = Date.init) async throws -> NightlyResult {
        let lock = try NightlyLock(url: workspace.root.appendingPathComponent("nightly.lock"))
        defer { lock.release() }
        let started = now()
        var result = NightlyResult(
            status: "ok", exitCode: NightlyResult.Code.ok, startedAt: Timestamp.format(started), endedAt: "", steps: [], held: 0, conflicts: 0,
            failedChanges: 0, rejectedRows: 0, changeSet: nil, report: nil, exports: [], tookOverLockFrom: lock.tookOverFrom, notificationProblems: [])
        var lines = ["\(result.startedAt) nightly run started (process \(ProcessInfo.processInfo.processIdentifier))"]
        if let previous = lock.tookOverFrom { lines.append("  took over the lock left by process \(previous), which is no longer running") }
        let mirror = try workspace.openMirror()
        // One client for the whole run: an OAuth refresh token rotated during the pull must be
        // the one the apply uses (HighLevel's refresh tokens are single-use).
        var sharedClient: HighLevelClient?
        func client() throws -> HighLevelClient {
            if let sharedClient { return sharedClient }
            let made = try makeClient()
            sharedClient = made
            return made
        }

        func step(_ name: String, _ body: () async throws -> NightlyStep) async -> Bool {
            do {
                let done = try await body()
                result.steps.append(done)
                lines.append("  \(name): \(done.status) \(Self.describe(done.counts))\(done.detail.map { " — \($0)" } ?? "")")
                return done.status != "failed"
            } catch {
                let message = error.localizedDescription
                result.steps.append(NightlyStep(name: name, status: "failed", counts: [:], detail: message))
                lines.append("  \(name): failed — \(message)")
                logger.error("nightly \(name) failed: \(message)")
                return false
            }
        }

        var planURL: URL?
        var ok = await step("pull") {
            let summary = try await Puller(mirror: mirror, client: try client()).run(PullOptions())
            var counts: [String: Int] = ["requests": summary.requests, "throttled": summary.throttled]
            for (entity, value) in summary.counts { counts[entity] = value.new + value.updated + value.deleted }
            return NightlyStep(name: "pull", status: "ok", counts: counts, detail: nil)
        }
        if ok {
            ok = await step("import") {
                let (files, archive) = try dropFiles()
                let writing = await stillBeingWritten(files)
                return try importDropFolder(mirror, files: files.filter { !writing.contains($0) }, archive: archive, waiting: writing, result: &result)
            }
        }
        if ok {
            ok = await step("plan") {
                let planner = Planner(database: mirror, policy: config.sync)
                var set = try planner.plan(workspace: workspace.root.path, now: now())
                let url = workspace.changeSets.appendingPathComponent("nightly-\(Self.stamp(now())).lqcs")
                let decided = review(&set)
                try ChangeSetFile.write(set, to: url)
                planURL = url
                result.changeSet = url.path
                result.conflicts = set.changes.filter { $0.conflict != nil }.count
                result.held = decided.held
                return NightlyStep(
                    name: "plan", status: "ok",
                    counts: ["changes": set.changes.count, "accepted": decided.accepted, "held": decided.held, "conflicts": result.conflicts],
                    detail: decided.guardTripped ? "more than \(options.policy.maxChanges) changes: all held for review" : nil)
            }
        }
        if ok, let planURL {
            ok = await step("apply") {
                let set = try ChangeSetFile.read(planURL)
                guard set.changes.contains(where: { $0.isApplicable }) else {
                    return NightlyStep(name: "apply", status: "skipped", counts: [:], detail: "nothing accepted")
                }
                let needsClient = set.changes.contains { $0.isApplicable && $0.target == .highlevel }
                let summary = try await Applier(database: mirror, client: needsClient ? try client() : nil, exportsFolder: workspace.exports).run(planURL)
                result.failedChanges = summary.failed
                result.exports = summary.exports
                return NightlyStep(
                    name: "apply", status: "ok", counts: ["done": summary.done, "failed": summary.failed, "stale": summary.stale, "files": summary.exports.count],
                    detail: nil)
            }
        }
        if ok {
            ok = await step("report") {
                let zone = TimeZone(identifier: config.timezone) ?? .gmt
                let period = try ReportPeriod.lastFull(options.reportPeriod, before: now(), zone: zone)
                let report = try Reporter(database: mirror).make(period, generatedAt: now())
                let folder = workspace.reports.appendingPathComponent(period.label)
                try ReportFiles.write(report, formats: options.reportFormats, to: folder)
                result.report = folder.appendingPathComponent(options.reportFormats.contains(.html) ? "report.html" : "").path
                return NightlyStep(name: "report", status: "ok", counts: ["tables": report.tables.count], detail: period.label)
            }
        }
        if ok {
            ok = await step("prune") {
                let pruned = try mirror.pruneStaging(leftPlansBefore: now().addingTimeInterval(-Double(options.keepStagedDays) * 86_400), now: now())
                let events = try mirror.pruneWebhookEvents(finishedBefore: now().addingTimeInterval(-Double(options.keepWebhookDays) * 86_400))
                var counts = ["imports": pruned.imports.count, "rows": pruned.rows, "leadsKept": pruned.leadsKept, "webhookEvents": events]
                if options.keepArchiveDays != nil { counts["archiveDays"] = try pruneArchive(now: now()) }
                return NightlyStep(name: "prune", status: "ok", counts: counts)
            }
        }
        pruneAuditLogs(now: now())
        let stats = await sharedClient?.stats ?? ClientStats()

        if !ok {
            result.status = "failed"
            result.exitCode = NightlyResult.Code.failed
        } else if result.held > 0 || result.failedChanges > 0 {
            result.status = "held"
            result.exitCode = NightlyResult.Code.held
        } else if !result.rejectedFiles.isEmpty {
            result.status = "rejected-files"
            result.exitCode = NightlyResult.Code.rejectedRows
        } else if result.rejectedRows > 0 {
            result.status = "rejected-rows"
            result.exitCode = NightlyResult.Code.rejectedRows
        }
        result.endedAt = Timestamp.format(now())
        var counts: [String: Int] = ["held": result.held, "conflicts": result.conflicts, "failedChanges": result.failedChanges, "rejectedRows": result.rejectedRows]
        for finished in result.steps { counts["step." + finished.name] = finished.status == "failed" ? 0 : 1 }
        try? mirror.recordRun(
            kind: "nightly", startedAt: started, endedAt: now(), status: result.status == "failed" ? "failed" : "ok", stats: stats, counts: counts,
            message: result.steps.first { $0.status == "failed" }.map { "\($0.name) failed" })

        if let notifier = options.notifier, notifier.isConfigured, ["failed", "held", "rejected-files"].contains(result.status) {
            result.notificationProblems = await notifier.send(NightlyNotification(result, workspace: workspace.root.path, log: log.url.path))
            lines += result.notificationProblems.map { "  notify: \($0)" }
            if result.notificationProblems.isEmpty { lines.append("  notify: sent (\(result.status))") }
        }
        lines.append("\(result.endedAt) nightly run ended: \(result.status), exit \(result.exitCode)")
        try? log.append(lines)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let json = try? encoder.encode(result) {
            try? RotatingLog(url: workspace.logs.appendingPathComponent("nightly.jsonl")).append([String(decoding: json, as: UTF8.self)])
        }
        return result
    }

    /// Accepts what the policy allows; returns the counts.
    func review(_ set: inout ChangeSet) -> (accepted: Int, held: Int, guardTripped: Bool) {
        let applicable = set.changes.filter { $0.op != .report && $0.decision == nil }
        let guardTripped = applicable.count > options.policy.maxChanges
        var accepted = Set<Int>()
        var held = 0
        for change in applicable {
            let (accept, _) = options.policy.decide(change)
            if accept, !guardTripped { accepted.insert(change.id) } else { held += 1 }
        }
        if !accepted.isEmpty, let decided = try? ChangeReview.decide(set, ChangeSelection(ids: accepted), verdict: .accepted, by: "nightly policy").0 {
            set = decided
        }
        return (accepted.count, held, guardTripped)
    }

    /// Removes daily API audit files (`logs/api-YYYY-MM-DD.jsonl`) older than `keepLogDays`.
    func pruneAuditLogs(now: Date) {
        let cutoff = String(Timestamp.format(now.addingTimeInterval(-Double(options.keepLogDays) * 86_400)).prefix(10))
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: workspace.logs.path) else { return }
        for name in names where name.hasPrefix("api-") && name.hasSuffix(".jsonl") {
            let day = String(name.dropFirst(4).prefix(10))
            if day.count == 10, day < cutoff { try? FileManager.default.removeItem(at: workspace.logs.appendingPathComponent(name)) }
        }
    }

    static func describe(_ counts: [String: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    static func stamp(_ date: Date) -> String {
        String(Timestamp.format(date).prefix(19)).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }
}
