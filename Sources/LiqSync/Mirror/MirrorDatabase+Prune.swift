import Foundation
import GRDB
import GRDBSQLite

/// Staging retention: the rows of imports no plan reads any more are removed some days after
/// they left the plans, keeping for each LocaliQ lead the one row the report needs.
///
/// An import leaves the plans when a newer import of the same file finishes, or when a newer copy
/// of the same export replaces it (`retired_by`). Plans, reviews and applies never read it again
/// (an apply refuses a plan whose imports are no longer current), so only the report's lead
/// history still uses its rows: a lead is counted once per (lead key, time, channel) across all
/// imports. A row whose lead some other kept row also carries goes; a lead only this import still
/// knows (a contact since deleted from the export) keeps its row. The import's own record (file,
/// SHA-256, counts) stays as history.
extension MirrorDatabase {
    static func registerPruneMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v17-staging-retention") { db in
            try db.execute(
                sql: """
                    ALTER TABLE imports ADD COLUMN pruned_at TEXT;
                    ALTER TABLE imports ADD COLUMN rows_pruned INTEGER;
                    """)
        }
        migrator.registerMigration("v18-unstaged-rows-index") { db in
            // The import's accounting counts its rows per status: the staged ones through the
            // sync index, the few others through this one, instead of reading every row.
            try db.execute(sql: "CREATE INDEX staged_rows_unstaged ON staged_rows(row_id, status) WHERE status <> 'staged'")
        }
    }

    /// One import whose staged rows were (or, on a dry run, would be) removed.
    public struct PrunedImport: Sendable, Codable, Equatable {
        public var importId: Int64
        public var file: String
        /// When a newer import took it out of the plans.
        public var leftPlansAt: String
        /// Rows removed.
        public var rows: Int
        /// Rows kept because no other kept row carries their lead.
        public var leadsKept: Int
    }

    /// What a prune did.
    public struct PruneResult: Sendable, Codable, Equatable {
        public var imports: [PrunedImport] = []
        /// Rows removed in all.
        public var rows = 0
        /// Rows kept for their leads in all.
        public var leadsKept = 0
        /// Received webhook events removed (`pruneWebhookEvents`).
        public var webhookEvents = 0
        public var dryRun = false

        public init() {}
    }

    /// Rows deleted per transaction: a million-row import is pruned in steps, each committed, so
    /// the write-ahead log stays small and a stopped prune continues where it was.
    static let pruneStep: Int64 = 100_000

    /// Removes the staged rows of imports that left the plans before `cutoff` (keeping the rows
    /// that alone carry a lead), and records on each import when and how many.
    public func pruneStaging(leftPlansBefore cutoff: Date, dryRun: Bool = false, now: Date = Date()) throws -> PruneResult {
        let limit = Timestamp.format(cutoff)
        let candidates = try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, file, left_at FROM (
                        SELECT i.id, i.file, coalesce(
                            (SELECT r.finished_at FROM imports r WHERE r.id = i.retired_by),
                            (SELECT min(n.finished_at) FROM imports n WHERE n.file = i.file AND n.status = 'done' AND n.id > i.id)) AS left_at
                        FROM imports i WHERE i.status = 'done' AND i.pruned_at IS NULL)
                    WHERE left_at IS NOT NULL AND left_at < ?
                    ORDER BY id DESC
                    """, arguments: [limit]
            ).map { (id: $0["id"] as Int64, file: $0["file"] as String, leftAt: $0["left_at"] as String) }
        }
        var result = PruneResult()
        result.dryRun = dryRun
        guard !candidates.isEmpty else { return result }
        // The leads of every row that stays: newest pruned imports first, so among several that
        // alone know a lead the newest keeps it.
        var carried = try retainedLeads(leavingOut: Set(candidates.map(\.id)))
        for candidate in candidates {
            let kept = try rowsKeepingLeads(importId: candidate.id, carried: &carried)
            let removable = try writer.read { db in
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM staged_rows WHERE row_id BETWEEN ? AND ?", arguments: [candidate.id << 32, candidate.id << 32 | 0xFFFF_FFFF])
                    ?? 0
            } - kept.count
            result.imports.append(PrunedImport(importId: candidate.id, file: candidate.file, leftPlansAt: candidate.leftAt, rows: removable, leadsKept: kept.count))
            result.rows += removable
            result.leadsKept += kept.count
            if !dryRun { try removeRows(importId: candidate.id, keeping: kept, at: now) }
        }
        return result
    }

    /// The (lead key, time, channel) of every counted lead outside the given imports.
    private func retainedLeads(leavingOut pruning: Set<Int64>) throws -> Set<KeyHash> {
        try writer.read { db in
            var leads = Set<KeyHash>()
            let statement = try db.makeStatement(
                sql: """
                    SELECT s.import_id, l.lead_key, l.lead_at, l.channel FROM staged_leads l
                    JOIN staged_rows s ON s.row_id = l.row_id AND s.status = 'staged'
                    JOIN imports i ON i.id = s.import_id AND i.status = 'done'
                    """)
            let handle = statement.sqliteStatement
            var buffer: [UInt8] = []
            try withExtendedLifetime(statement) {
                while try RawSQL.step(handle, in: db) {
                    guard !pruning.contains(sqlite3_column_int64(handle, 0)) else { continue }
                    leads.insert(Self.leadKey(handle, from: 1, buffer: &buffer))
                }
            }
            return leads
        }
    }

    /// The rows of a pruned import to keep: those whose lead no other kept row carries (each
    /// such lead is then carried, so an older import does not keep it too).
    private func rowsKeepingLeads(importId: Int64, carried: inout Set<KeyHash>) throws -> [Int64] {
        try writer.read { db in
            var kept: [Int64] = []
            let statement = try db.makeStatement(
                sql: """
                    SELECT l.row_id, l.lead_key, l.lead_at, l.channel FROM staged_leads l
                    JOIN staged_rows s ON s.row_id = l.row_id AND s.status = 'staged'
                    WHERE l.row_id BETWEEN ? AND ? ORDER BY l.row_id
                    """)
            try statement.setArguments([importId << 32, importId << 32 | 0xFFFF_FFFF])
            let handle = statement.sqliteStatement
            var buffer: [UInt8] = []
            try withExtendedLifetime(statement) {
                while try RawSQL.step(handle, in: db) {
                    if carried.insert(Self.leadKey(handle, from: 1, buffer: &buffer)).inserted { kept.append(sqlite3_column_int64(handle, 0)) }
                }
            }
            return kept
        }
    }

    /// Removes received webhook events that were applied (or ignored: another location's, a type
    /// the mirror does not keep) before `cutoff`, and returns how many. Once applied, an event is
    /// only kept to recognise HighLevel delivering it again, which it does within minutes
    /// (anything signed more than `replay_window_seconds` ago is refused anyway); failed and
    /// pending events stay for a person or the listener.
    public func pruneWebhookEvents(finishedBefore cutoff: Date, dryRun: Bool = false) throws -> Int {
        let condition = "status IN ('applied', 'ignored') AND applied_at < ?"
        let limit = Timestamp.format(cutoff)
        if dryRun {
            return try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM webhook_events WHERE \(condition)", arguments: [limit]) ?? 0 }
        }
        return try writer.write { db in
            try db.execute(sql: "DELETE FROM webhook_events WHERE \(condition)", arguments: [limit])
            return db.changesCount
        }
    }

    /// Rewrites the database file without its free pages (SQLite's VACUUM): pruned rows' space is
    /// reused by later imports anyway; this gives it back to the disk. Needs as much free disk
    /// as the mirror takes while it runs.
    public func vacuum() throws {
        try writer.vacuum()
    }

    /// A lead's identity as the report groups it, from three text columns starting at `first`.
    private static func leadKey(_ handle: OpaquePointer, from first: Int32, buffer: inout [UInt8]) -> KeyHash {
        buffer.removeAll(keepingCapacity: true)
        for column in first..<first + 3 {
            buffer.append(contentsOf: bytes(handle, column))
            buffer.append(0x1F)
        }
        return buffer.withUnsafeBytes { KeyHash($0) }
    }

    /// Deletes an import's rows but the kept ones, a step of lines at a time (each step counted
    /// on the import as it commits), then marks the import pruned.
    private func removeRows(importId: Int64, keeping kept: [Int64], at now: Date) throws {
        let end = importId << 32 | 0xFFFF_FFFF
        guard let last = try writer.read({ db in try Int64.fetchOne(db, sql: "SELECT max(row_id) FROM staged_rows WHERE row_id BETWEEN ? AND ?", arguments: [importId << 32, end]) })
        else {
            try markPruned(importId, at: now)
            return
        }
        var start = importId << 32
        var next = 0  // the first kept row at or after `start`
        while start <= last {
            let stop = min(start + Self.pruneStep - 1, last)
            try writer.write { db in
                // The runs of rows between kept ones go as ranges.
                let rows = try db.makeStatement(sql: "DELETE FROM staged_rows WHERE row_id BETWEEN ? AND ?")
                let leads = try db.makeStatement(sql: "DELETE FROM staged_leads WHERE row_id BETWEEN ? AND ?")
                var from = start
                var removed = 0
                while from <= stop {
                    let to = next < kept.count && kept[next] <= stop ? kept[next] - 1 : stop
                    if from <= to {
                        try rows.execute(arguments: [from, to])
                        removed += db.changesCount
                        try leads.execute(arguments: [from, to])
                    }
                    if to < stop {
                        from = kept[next] + 1
                        next += 1
                    } else {
                        break
                    }
                }
                try db.execute(sql: "UPDATE imports SET rows_pruned = coalesce(rows_pruned, 0) + ? WHERE id = ?", arguments: [removed, importId])
            }
            start = stop + 1
        }
        try markPruned(importId, at: now)
    }

    private func markPruned(_ importId: Int64, at now: Date) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE imports SET pruned_at = ?, rows_pruned = coalesce(rows_pruned, 0) WHERE id = ?", arguments: [Timestamp.format(now), importId])
        }
    }
}
