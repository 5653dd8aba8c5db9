import Foundation
import GRDB

/// One run of a command (pull, plan, apply, …) as the runs table records it.
public struct RunRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var kind: String
    public var mode: String?
    public var startedAt: String
    public var endedAt: String?
    public var status: String
    public var requests: Int
    public var throttled: Int
    public var retries: Int
    public var counts: String
    public var message: String?
}

enum RunRows {
    static func begin(kind: String, mode: String?, in db: Database) throws -> Int64 {
        try db.execute(
            sql: "INSERT INTO runs (kind, mode, started_at, status) VALUES (?, ?, ?, 'running')",
            arguments: [kind, mode, Timestamp.format(Date())])
        return db.lastInsertedRowID
    }

    static func finish(
        _ id: Int64, status: String, stats: ClientStats, counts: [String: RecordCounts], message: String?, at time: Date,
        in db: Database
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let countsText = String(decoding: try encoder.encode(counts), as: UTF8.self)
        try db.execute(
            sql: """
                UPDATE runs SET ended_at = ?, status = ?, requests = requests + ?, throttled = throttled + ?,
                    retries = retries + ?, counts = ?, message = ?
                WHERE id = ?
                """,
            arguments: [Timestamp.format(time), status, stats.requests, stats.throttled, stats.retries, countsText, message, id])
    }
}

extension MirrorDatabase {
    /// The most recent runs, newest first.
    public func recentRuns(limit: Int = 20) throws -> [RunRecord] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id DESC LIMIT ?", arguments: [limit]).map { row in
                RunRecord(
                    id: row["id"], kind: row["kind"], mode: row["mode"], startedAt: row["started_at"], endedAt: row["ended_at"],
                    status: row["status"], requests: row["requests"], throttled: row["throttled"], retries: row["retries"],
                    counts: row["counts"], message: row["message"])
            }
        }
    }

    /// How many rows each mirrored table holds (live contacts only for `contacts`).
    public func recordCounts() throws -> [String: Int] {
        try writer.read { db in
            [
                "contacts": try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM contacts WHERE deleted_at IS NULL") ?? 0,
                "deletedContacts": try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM contacts WHERE deleted_at IS NOT NULL") ?? 0,
                "tasks": try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tasks") ?? 0,
                "notes": try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notes") ?? 0,
                "appointments": try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM appointments") ?? 0,
            ]
        }
    }

    /// Every mirrored record's id and raw JSON, per table, for comparing mirrors in tests and checks.
    public func rawSnapshot() throws -> [String: [String: String]] {
        try writer.read { db in
            var result: [String: [String: String]] = [:]
            for table in ["contacts", "tasks", "notes", "appointments"] {
                let extra = table == "contacts" ? " WHERE deleted_at IS NULL" : ""
                var rows: [String: String] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT id, raw FROM \(table)\(extra)") { rows[row["id"]] = row["raw"] }
                result[table] = rows
            }
            return result
        }
    }
}
