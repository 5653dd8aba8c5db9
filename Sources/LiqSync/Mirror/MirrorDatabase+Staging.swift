import Foundation
import GRDB
import GRDBSQLite

/// One import run as recorded in the mirror.
public struct ImportRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var file: String
    public var sha256: String
    public var profile: String
    public var status: String
    public var startedAt: String
    public var finishedAt: String?
    public var rowsRead: Int
    public var rowsStaged: Int
    public var rowsRejected: Int
}

/// Staging: LocaliQ rows as imported (file, line, raw cells, canonical fields, findings).
///
/// `staged_rows.row_id` is `import_id << 32 | line`: rows are appended in key order (the fastest
/// insert SQLite has) and a row is found by import and line without a second index.
extension MirrorDatabase {
    static func registerStagingMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-staging") { db in
            try db.execute(
                sql: """
                    CREATE TABLE imports (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        file TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        profile TEXT NOT NULL,
                        mapping_digest TEXT NOT NULL,
                        started_at TEXT NOT NULL,
                        finished_at TEXT,
                        status TEXT NOT NULL,
                        rows_read INTEGER NOT NULL DEFAULT 0,
                        rows_staged INTEGER NOT NULL DEFAULT 0,
                        rows_rejected INTEGER NOT NULL DEFAULT 0,
                        summary TEXT NOT NULL DEFAULT '{}',
                        message TEXT
                    );
                    CREATE INDEX imports_sha256 ON imports(sha256, mapping_digest);
                    CREATE TABLE staged_rows (
                        row_id INTEGER PRIMARY KEY,
                        import_id INTEGER NOT NULL,
                        line INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        source_id TEXT,
                        email_key TEXT,
                        phone_key TEXT,
                        fields TEXT NOT NULL,
                        extras TEXT,
                        activity TEXT,
                        raw TEXT NOT NULL,
                        findings TEXT,
                        duplicate_of INTEGER
                    );
                    """)
        }
    }

    /// The finished import of the same bytes through the same mapping, if any.
    public func finishedImport(sha256: String, mappingDigest: String) throws -> ImportRecord? {
        try writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.importRecordColumns) FROM imports WHERE sha256 = ? AND mapping_digest = ? AND status = 'done' ORDER BY id DESC LIMIT 1",
                arguments: [sha256, mappingDigest]
            ).map(Self.importRecord)
        }
    }

    /// One import, whatever its state.
    public func importRecord(id: Int64) throws -> ImportRecord? {
        try writer.read { db in try Row.fetchOne(db, sql: "SELECT \(Self.importRecordColumns) FROM imports WHERE id = ?", arguments: [id]).map(Self.importRecord) }
    }

    /// Every import, newest first.
    public func imports(limit: Int = 50) throws -> [ImportRecord] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.importRecordColumns) FROM imports ORDER BY id DESC LIMIT ?", arguments: [limit]).map(Self.importRecord)
        }
    }

    /// The columns `importRecord` reads (never `*`: an import's row hashes are a 12-byte-a-row
    /// blob that a listing has no use for).
    static let importRecordColumns = "id, file, sha256, profile, status, started_at, finished_at, rows_read, rows_staged, rows_rejected"

    static func importRecord(_ row: Row) -> ImportRecord {
        ImportRecord(
            id: row["id"], file: row["file"], sha256: row["sha256"], profile: row["profile"], status: row["status"], startedAt: row["started_at"],
            finishedAt: row["finished_at"], rowsRead: row["rows_read"], rowsStaged: row["rows_staged"], rowsRejected: row["rows_rejected"])
    }

    /// Records a new import as running; rows of earlier runs of the same file that never finished
    /// are removed first, so a rerun after a crash starts clean.
    public func beginImport(file: String, sha256: String, size: Int64, profile: String, mappingDigest: String) throws -> Int64 {
        try writer.write { db in
            let stale = try Int64.fetchAll(
                db, sql: "SELECT id FROM imports WHERE sha256 = ? AND mapping_digest = ? AND status = 'running'", arguments: [sha256, mappingDigest])
            for id in stale {
                try Self.deleteRows(db, importId: id)
                try db.execute(sql: "UPDATE imports SET status = 'failed', message = 'interrupted; imported again' WHERE id = ?", arguments: [id])
            }
            // Staging appends in key order and needs little cache; the pull's 64 MiB would only
            // add to the import's peak memory. `finishImport`/`failImport` give it back.
            try db.execute(sql: "PRAGMA cache_size = -8192")
            try db.execute(
                sql: """
                    INSERT INTO imports (file, sha256, size, profile, mapping_digest, started_at, status)
                    VALUES (?, ?, ?, ?, ?, ?, 'running')
                    """, arguments: [file, sha256, size, profile, mappingDigest, Timestamp.format(Date())])
            return db.lastInsertedRowID
        }
    }

    private static func deleteRows(_ db: Database, importId: Int64) throws {
        try db.execute(sql: "DELETE FROM staged_rows WHERE row_id BETWEEN ? AND ?", arguments: [importId << 32, importId << 32 | 0xFFFF_FFFF])
        try db.execute(sql: "DELETE FROM staged_leads WHERE row_id BETWEEN ? AND ?", arguments: [importId << 32, importId << 32 | 0xFFFF_FFFF])
    }

    static func findingsText(_ findings: [Finding]) -> String {
        JSON.array(
            findings.map { finding in
                var object: [String: JSON] = ["kind": .string(finding.kind.rawValue), "reason": .string(finding.reason)]
                if let column = finding.column { object["column"] = .string(column) }
                if let value = finding.value { object["value"] = .string(value) }
                if finding.rejects { object["rejects"] = .bool(true) }
                return .object(object)
            }
        ).canonicalText
    }

    /// Fields and keys of chosen lines of an import (duplicate resolution).
    func stagedFields(importId: Int64, lines: [Int]) throws -> [Int: StagedKeys] {
        // On the writer's connection: its cache is small while an import runs (see beginImport).
        try writer.writeWithoutTransaction { db in
            var result: [Int: StagedKeys] = [:]
            let statement = try db.cachedStatement(sql: "SELECT fields, source_id, email_key, phone_key FROM staged_rows WHERE row_id = ?")
            for line in lines {
                guard let row = try Row.fetchOne(statement, arguments: [importId << 32 | Int64(line)]) else { continue }
                let text: String = row["fields"]
                let fields = (try? JSON.parse(Data(text.utf8)))?.object ?? [:]
                result[line] = StagedKeys(fields: fields, sourceId: row["source_id"], emailKey: row["email_key"], phoneKey: row["phone_key"])
            }
            return result
        }
    }

    /// Marks rows as duplicates of their survivor and gives each survivor its merged fields and keys.
    func collapse(importId: Int64, _ merges: [StagingMerge], mappedFields: UInt32?) throws {
        guard !merges.isEmpty else { return }
        try writer.write { db in
            let survivor = try db.cachedStatement(
                sql: "UPDATE staged_rows SET fields = ?, email_key = ?, phone_key = ?, sync_digests = ? WHERE row_id = ?")
            let duplicate = try db.cachedStatement(
                sql: "UPDATE staged_rows SET status = 'duplicate', duplicate_of = ? WHERE row_id = ? AND status = 'staged'")
            for merge in merges {
                try survivor.execute(
                    arguments: [
                        JSON.object(merge.fields).canonicalText, merge.emailKey, merge.phoneKey, Data(SyncDigest.row(fields: merge.fields, emailKey: merge.emailKey, phoneKey: merge.phoneKey, mappedFields: mappedFields)),
                        importId << 32 | Int64(merge.survivor),
                    ])
                for line in merge.duplicates { try duplicate.execute(arguments: [merge.survivor, importId << 32 | Int64(line)]) }
            }
        }
    }

    /// Rows per status of an import, counted in the database (the accounting check reads these).
    public func stagedCounts(importId: Int64) throws -> [String: Int] {
        // On the writer's connection: its cache is small while an import runs (see beginImport).
        try writer.writeWithoutTransaction { db in
            // Two small indexes, not the rows: staged rows are in the sync index, the others in
            // `staged_rows_unstaged` (a table scan of a million-row import took half a second).
            var counts: [String: Int] = [:]
            let range: StatementArguments = [importId << 32, importId << 32 | 0xFFFF_FFFF]
            let staged = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM staged_rows INDEXED BY staged_rows_sync WHERE row_id BETWEEN ? AND ? AND status = 'staged'",
                arguments: range) ?? 0
            if staged > 0 { counts["staged"] = staged }
            let others = try Row.fetchAll(
                db,
                sql: """
                    SELECT status, count(*) AS n FROM staged_rows INDEXED BY staged_rows_unstaged
                    WHERE row_id BETWEEN ? AND ? AND status <> 'staged' GROUP BY status
                    """, arguments: range)
            for row in others { counts[row["status"]] = row["n"] }
            return counts
        }
    }

    /// Marks the import done with its counts and summary, and retires in the same transaction the
    /// older snapshots of the same export it replaces (`retireSnapshots`); the summary is written
    /// knowing which those are.
    @discardableResult
    public func finishImport(
        id: Int64, read: Int, staged: Int, rejected: Int, rowHashes: RowHashes? = nil, summary: ([ReplacedSnapshot]) -> String
    ) throws -> [ReplacedSnapshot] {
        let hashes = rowHashes?.encoded
        return try writer.write { db in
            let replaced = try Self.retireSnapshots(by: id, in: db)
            try db.execute(
                sql: """
                    UPDATE imports SET status = 'done', finished_at = ?, rows_read = ?, rows_staged = ?, rows_rejected = ?, summary = ?, row_hashes = ?
                    WHERE id = ?
                    """, arguments: [Timestamp.format(Date()), read, staged, rejected, summary(replaced), hashes, id])
            try db.execute(sql: "PRAGMA cache_size = \(MirrorDatabase.cacheSizePragma)")
            return replaced
        }
    }

    /// Marks the import failed and removes whatever it staged, so nothing half-read is used.
    public func failImport(id: Int64, message: String) throws {
        try writer.write { db in
            try Self.deleteRows(db, importId: id)
            try db.execute(
                sql: "UPDATE imports SET status = 'failed', finished_at = ?, message = ? WHERE id = ?", arguments: [Timestamp.format(Date()), message, id])
            try db.execute(sql: "PRAGMA cache_size = \(MirrorDatabase.cacheSizePragma)")
        }
    }

    /// The staged rows of an import in line order (for tests, `liqsync import --show`, and the plan).
    public func stagedRows(importId: Int64) throws -> [StagedRowRecord] {
        try writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM staged_rows WHERE row_id BETWEEN ? AND ? ORDER BY row_id",
                arguments: [importId << 32, importId << 32 | 0xFFFF_FFFF]
            ).map { row in
                func json(_ column: String) -> JSON? {
                    guard let text: String = row[column] else { return nil }
                    return try? JSON.parse(Data(text.utf8))
                }
                return StagedRowRecord(
                    line: row["line"], status: row["status"], sourceId: row["source_id"], emailKey: row["email_key"], phoneKey: row["phone_key"],
                    fields: json("fields")?.object ?? [:], extras: json("extras")?.object ?? [:], activity: json("activity")?.object,
                    raw: json("raw") ?? .null, findings: json("findings")?.array ?? [], duplicateOf: row["duplicate_of"])
            }
        }
    }
}

/// A staged row as stored.
public struct StagedRowRecord: Sendable, Equatable {
    public var line: Int
    public var status: String
    public var sourceId: String?
    public var emailKey: String?
    public var phoneKey: String?
    public var fields: [String: JSON]
    public var extras: [String: JSON]
    public var activity: [String: JSON]?
    public var raw: JSON
    public var findings: [JSON]
    public var duplicateOf: Int?
}

/// The stored fields and keys of a staged row.
struct StagedKeys {
    var fields: [String: JSON]
    var sourceId: String?
    var emailKey: String?
    var phoneKey: String?
}

/// One person's rows collapsed: the survivor's merged fields and keys, and its duplicates.
struct StagingMerge {
    var survivor: Int
    var fields: [String: JSON]
    var emailKey: String?
    var phoneKey: String?
    var duplicates: [Int]
}
