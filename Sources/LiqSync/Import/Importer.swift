import Foundation
import Logging

/// What an import did: the accounting the user sees and the record kept in the mirror.
public struct ImportSummary: Sendable, Codable, Equatable {
    public var file: String
    public var profile: String
    public var importId: Int64
    public var sha256: String
    /// Set when the same bytes were already imported through the same mapping: nothing was done.
    public var alreadyImportedAs: Int64?
    public var rowsRead = 0
    /// Rows staged, including the excluded and the collapsed duplicates among them.
    public var rowsStaged = 0
    public var rowsRejected = 0
    public var rowsExcluded = 0
    public var duplicatesCollapsed = 0
    public var warnings: [String: Int] = [:]
    public var rejections: [String: Int] = [:]
    public var unmappedColumns: [String] = []
    public var duplicateHeaders: [String] = []
    /// The first line holding bytes that are not UTF-8 (read as Windows-1252).
    public var firstWindows1252Line: Int?
    public var delimiter: String?
    public var errorsFile: String?
    /// `csv` or `json`.
    public var format: String?
    /// For CSV: the canonical fields the file has a column for (an empty cell there means empty).
    /// For JSON every field is known only where a record carries it.
    public var mappedFields: [String]?
    /// The mapping's follow-up task rule, for the plan.
    public var followUpTask: FollowUpTaskRule?
    /// Older copies of the same export this file replaced (they take no further part in plans).
    public var replaced: [MirrorDatabase.ReplacedSnapshot]?

    public var warningCount: Int { warnings.values.reduce(0, +) }
}

/// Options of one import.
public struct ImportOptions: Sendable {
    /// Import again even when the same file went through the same mapping before.
    public var force = false
    /// Warnings reject the row.
    public var strict = false
    /// Zone for dates written without one (the workspace's).
    public var zone: TimeZone = .gmt
    /// Rows per staging transaction (two batches wait at most while the next is mapped).
    public var batchSize = 2000
    /// Where the errors CSV goes; nil puts it beside the input (`NAME.errors.csv`).
    public var errorsFile: URL?

    public init(force: Bool = false, strict: Bool = false, zone: TimeZone = .gmt) {
        self.force = force
        self.strict = strict
        self.zone = zone
    }
}

/// Loads one LocaliQ (or HighLevel) export into staging through a mapping: reads it streaming,
/// maps and validates every row, stages the good ones, writes the bad ones to an errors CSV, finds
/// duplicates inside the file, and checks that rows read = staged + rejected before it commits
/// to the result.
public struct Importer: Sendable {
    public let database: MirrorDatabase
    private let logger: Logger

    public init(database: MirrorDatabase, logger: Logger = Logger(label: "liqsync.import")) {
        self.database = database
        self.logger = logger
    }

    /// Whether a file is read as JSON: by extension, else by its first non-blank byte.
    public static func isJSON(_ url: URL) -> Bool {
        let ext = url.pathExtension.lowercased()
        if ["json", "jsonl", "ndjson"].contains(ext) { return true }
        if ["csv", "tsv", "txt"].contains(ext) { return false }
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 512)) ?? Data()
        return head.first(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }).map { $0 == 0x5B || $0 == 0x7B } ?? false
    }

    /// Imports `url`. `progress` gets the bytes read so far.
    public func run(
        _ url: URL, mapping: FieldMapping, options: ImportOptions = ImportOptions(), progress: (@Sendable (Int64) -> Void)? = nil
    ) throws -> ImportSummary {
        let (sha256, size) = try FileDigest.sha256(of: url)
        var summary = ImportSummary(file: url.path, profile: mapping.name, importId: 0, sha256: sha256)
        // The same bytes through the same mapping are a no-op while that import is one the plans
        // read. Once a newer import has taken its place (the file was changed, or a newer copy of
        // the export came), they are imported again: what was dropped last is what plans read.
        if !options.force, let previous = try database.finishedImport(sha256: sha256, mappingDigest: mapping.digest),
            try database.currentImports().contains(where: { $0.id == previous.id })
        {
            summary.importId = previous.id
            summary.alreadyImportedAs = previous.id
            summary.rowsRead = previous.rowsRead
            summary.rowsStaged = previous.rowsStaged
            summary.rowsRejected = previous.rowsRejected
            return summary
        }
        let json = Self.isJSON(url)
        if json && mapping.format == .csv || !json && mapping.format == .json {
            throw ImportError.unusableMapping(mapping.name, "it reads \(mapping.format.rawValue) files and \(url.lastPathComponent) is not one")
        }
        let importId = try database.beginImport(file: url.path, sha256: sha256, size: size, profile: mapping.name, mappingDigest: mapping.digest)
        summary.importId = importId
        do {
            var run = ImportRun(
                importId: importId, url: url, mapping: mapping, options: options, database: database, errorsURL: options.errorsFile ?? Self.errorsURL(for: url))
            // The staging thread writes; the WAL is copied into the database beside it.
            try database.withBackgroundCheckpoints {
                if json {
                    try run.readJSON(progress: progress)
                } else {
                    try run.readCSV(progress: progress)
                }
            }
            try run.finish()
            summary = run.summary(base: summary)
            summary.followUpTask = mapping.followUpTask
            try verifyAccounting(summary, importId: importId)
            let finished = summary
            summary.replaced = try database.finishImport(
                id: importId, read: summary.rowsRead, staged: summary.rowsStaged, rejected: summary.rowsRejected, rowHashes: run.rowHashes
            ) {
                var stored = finished
                stored.replaced = $0
                return (try? String(decoding: JSONEncoder().encode(stored), as: UTF8.self)) ?? "{}"
            }
            logger.debug(
                "import done", metadata: ["file": "\(url.lastPathComponent)", "read": "\(summary.rowsRead)", "rejected": "\(summary.rowsRejected)"])
            return summary
        } catch {
            try? database.failImport(id: importId, message: (error as? LocalizedError)?.errorDescription ?? "\(error)")
            throw error
        }
    }

    /// read = staged + rejected, checked against the rows the database holds.
    private func verifyAccounting(_ summary: ImportSummary, importId: Int64) throws {
        let counts = try database.stagedCounts(importId: importId)
        let staged = counts.filter { $0.key != "rejected" }.values.reduce(0, +)
        let rejected = counts["rejected"] ?? 0
        guard summary.rowsRead == summary.rowsStaged + summary.rowsRejected, staged == summary.rowsStaged, rejected == summary.rowsRejected
        else {
            throw ImportError.accountingMismatch(read: summary.rowsRead, staged: staged, rejected: rejected)
        }
    }

    /// `contacts.csv` → `contacts.errors.csv` beside it.
    public static func errorsURL(for input: URL) -> URL {
        input.deletingPathExtension().appendingPathExtension("errors").appendingPathExtension("csv")
    }
}
