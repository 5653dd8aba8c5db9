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
    private let logger: Logger

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

    /// The CSV/JSON files of the drop folder (or the one file), oldest first, and the archive
    /// they go to once imported.
    func dropFiles() throws -> (files: [URL], archive: URL) {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: options.export.path, isDirectory: &isFolder) else { throw NightlyError.missingExport(options.export.path) }
        let files: [URL]
        let archive = archiveFolder(exportIsFolder: isFolder.boolValue)
        if isFolder.boolValue {
            let entries = try manager.contentsOfDirectory(at: options.export, includingPropertiesForKeys: [.contentModificationDateKey, .isRegularFileKey])
            files = entries.filter { url in
                let name = url.lastPathComponent.lowercased()
                let regular = (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) ?? false
                return regular && !name.hasPrefix(".") && !name.contains(".errors.") && ["csv", "json", "jsonl", "ndjson", "txt"].contains(url.pathExtension.lowercased())
            }.sorted { a, b in
                let (da, db) = (Self.modified(a), Self.modified(b))
                return da != db ? da < db : a.lastPathComponent < b.lastPathComponent
            }
        } else {
            files = [options.export]
        }
        return (files, archive)
    }

    /// Of the files, those modified in the last 30 seconds whose size or time changes while they
    /// are watched for `settleSeconds`: an upload still in progress, imported half-written
    /// otherwise (and moved away under the uploader).
    func stillBeingWritten(_ files: [URL]) async -> Set<URL> {
        guard options.settleSeconds > 0 else { return [] }
        func state(_ url: URL) -> (size: Int, modified: Date)? {
            guard let values = try? url.resourceValues(forKeys: [.fileSizeKey, .contentModificationDateKey]) else { return nil }
            return (values.fileSize ?? -1, values.contentModificationDate ?? .distantPast)
        }
        let young = files.compactMap { url in state(url).flatMap { $0.modified > Date(timeIntervalSinceNow: -30) ? (url, $0) : nil } }
        guard !young.isEmpty else { return [] }
        try? await Task.sleep(for: .seconds(options.settleSeconds))
        return Set(young.filter { url, before in state(url).map { $0.size != before.size || $0.modified != before.modified } ?? true }.map(\.0))
    }

    /// Imports the files, oldest first, and moves each into the archive folder (with its errors
    /// file) once imported; `waiting` are left in the drop folder for the next run.
    func importDropFolder(_ mirror: MirrorDatabase, files: [URL], archive: URL, waiting: Set<URL>, result: inout NightlyResult) throws -> NightlyStep {
        let manager = FileManager.default
        let zone = TimeZone(identifier: config.timezone) ?? .gmt
        let profiles = try BuiltInProfiles.all()
        var counts = ["files": 0, "read": 0, "staged": 0, "rejected": 0, "already": 0]
        var rejected: [String] = []
        for file in files {
            let summary: ImportSummary
            do {
                let mapping = try options.mapping ?? ProfileDetector.detect(file, profiles: profiles).0
                summary = try Importer(database: mirror).run(file, mapping: mapping, options: ImportOptions(zone: zone))
            } catch let error as ImportError where error.isTheFilesFault {
                // One bad file must not stop every night's run until someone removes it: it is
                // moved aside with the reason beside it, the others are imported, and the run ends
                // with exit 3 and a notification.
                let folder = Self.day(archive).appendingPathComponent("rejected")
                try manager.createDirectory(at: folder, withIntermediateDirectories: true)
                let destination = Self.freeName(file.lastPathComponent, in: folder)
                try manager.moveItem(at: file, to: destination)
                let advice = "Fix the file and put it back into the drop folder for the next run, or import it by hand: liqsync import '\(destination.path)'"
                try Data((error.localizedDescription + "\n" + advice + "\n").utf8).write(to: destination.appendingPathExtension("error.txt"))
                result.rejectedFiles.append(destination.path)
                rejected.append("\(file.lastPathComponent) (moved to \(destination.path)): \(error.localizedDescription)")
                logger.error("nightly import: \(file.lastPathComponent) could not be imported and was moved to \(destination.path): \(error.localizedDescription)")
                continue
            }
            counts["files", default: 0] += 1
            if summary.alreadyImportedAs != nil {
                counts["already", default: 0] += 1
            } else {
                counts["read", default: 0] += summary.rowsRead
                counts["staged", default: 0] += summary.rowsStaged
                counts["rejected", default: 0] += summary.rowsRejected
                result.rejectedRows += summary.rowsRejected
                if let replaced = summary.replaced, !replaced.isEmpty { counts["replaced", default: 0] += replaced.count }
            }
            let day = Self.day(archive)
            try manager.createDirectory(at: day, withIntermediateDirectories: true)
            var moving = [file]
            if let errors = summary.errorsFile { moving.append(URL(fileURLWithPath: errors)) }
            for item in moving where manager.fileExists(atPath: item.path) {
                try manager.moveItem(at: item, to: Self.freeName(item.lastPathComponent, in: day))
            }
        }
        if !rejected.isEmpty { counts["rejectedFiles"] = rejected.count }
        if !waiting.isEmpty { counts["waiting"] = waiting.count }
        var notes: [String] = []
        if !waiting.isEmpty {
            notes.append("left for the next run, still being written: " + waiting.map(\.lastPathComponent).sorted().joined(separator: ", "))
        }
        if !rejected.isEmpty { notes.append("could not import " + rejected.joined(separator: "; ")) }
        let detail = notes.isEmpty ? (files.isEmpty ? "no new files" : nil) : notes.joined(separator: "; ")
        return NightlyStep(name: "import", status: "ok", counts: counts, detail: detail)
    }

    /// Today's folder in the archive.
    static func day(_ archive: URL) -> URL {
        archive.appendingPathComponent(String(Timestamp.format(Date()).prefix(10)))
    }

    /// `name` in `folder`, or `name-2.ext`, `name-3.ext`… when taken.
    static func freeName(_ name: String, in folder: URL) -> URL {
        let item = URL(fileURLWithPath: name)
        var destination = folder.appendingPathComponent(name)
        var copy = 1
        while FileManager.default.fileExists(atPath: destination.path) {
            copy += 1
            destination = folder.appendingPathComponent("\(item.deletingPathExtension().lastPathComponent)-\(copy).\(item.pathExtension)")
        }
        return destination
    }

    /// Where imported files are moved: `--archive`, else `archive/` in the drop folder (or beside
    /// the export file).
    func archiveFolder(exportIsFolder: Bool) -> URL {
        options.archive ?? (exportIsFolder ? options.export : options.export.deletingLastPathComponent()).appendingPathComponent("archive")
    }

    /// Removes the archive's day folders (`YYYY-MM-DD`, as the import step names them) older than
    /// `keepArchiveDays`; other entries are never touched. Returns how many day folders went.
    func pruneArchive(now: Date) throws -> Int {
        guard let days = options.keepArchiveDays else { return 0 }
        var isFolder: ObjCBool = false
        let exportIsFolder = FileManager.default.fileExists(atPath: options.export.path, isDirectory: &isFolder) && isFolder.boolValue
        let archive = archiveFolder(exportIsFolder: exportIsFolder)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: archive.path) else { return 0 }
        let cutoff = String(Timestamp.format(now.addingTimeInterval(-Double(days) * 86_400)).prefix(10))
        var removed = 0
        for name in names where name < cutoff && name.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}/) != nil {
            try FileManager.default.removeItem(at: archive.appendingPathComponent(name))
            removed += 1
        }
        return removed
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

    static func modified(_ url: URL) -> Date {
        (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
    }

    static func describe(_ counts: [String: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    static func stamp(_ date: Date) -> String {
        String(Timestamp.format(date).prefix(19)).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }
}
