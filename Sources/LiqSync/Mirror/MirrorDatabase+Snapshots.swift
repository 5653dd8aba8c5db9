import Foundation
import GRDB

/// Snapshots: a nightly LocaliQ export saved under a new name each night is the same export, not
/// another one. When an import holds most of an older current import's records, the older one is
/// retired: it takes no further part in plans.
extension MirrorDatabase {
    static func registerSnapshotMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v15-retired-snapshots") { db in
            // The newer import that replaced this one (`retireSnapshots`).
            try db.execute(sql: "ALTER TABLE imports ADD COLUMN retired_by INTEGER")
        }
    }

    /// Of a snapshot this import replaced: which import, and how many of its LocaliQ records the
    /// new file holds.
    public struct ReplacedSnapshot: Sendable, Codable, Equatable {
        public var importId: Int64
        public var file: String
        public var records: Int
        public var held: Int
    }

    /// A share of an older snapshot's LocaliQ ids at or above which a newer file through the same
    /// mapping is taken for the next copy of the same export.
    static let replacingShare = 0.9

    /// Retires the current imports this one replaces: those staged through the same mapping,
    /// carrying no activities, at least 90% of whose LocaliQ ids this import holds — last night's
    /// copy of a nightly export saved under a new name (`contacts-2026-11-29.csv`), or an earlier
    /// download (`contacts (1).csv`). A retired import takes no further part in plans, as an older
    /// import of the same file does not: records missing from the newer copy are gone from the
    /// export, and plans read tonight's file, not every night's. Exports of other records through
    /// the same mapping (another region's file, a partial export) share few ids and stay current.
    static func retireSnapshots(by importId: Int64, in db: Database) throws -> [ReplacedSnapshot] {
        func range(_ id: Int64) -> StatementArguments { [id << 32, id << 32 | 0xFFFF_FFFF] }
        func hasActivities(_ id: Int64) throws -> Bool { try Self.hasActivities(importId: id, in: db) }
        func sourceIds(_ id: Int64) throws -> RowCursor {
            try Row.fetchCursor(
                db, sql: "SELECT source_id FROM staged_rows INDEXED BY staged_rows_sync WHERE row_id BETWEEN ? AND ? AND status = 'staged' AND source_id IS NOT NULL",
                arguments: range(id))
        }
        guard let mapping = try String.fetchOne(db, sql: "SELECT mapping_digest FROM imports WHERE id = ?", arguments: [importId]),
            try !hasActivities(importId)
        else { return [] }
        let candidates = try Row.fetchAll(
            db,
            sql: """
                SELECT id, file FROM imports
                WHERE status = 'done' AND retired_by IS NULL AND mapping_digest = ? AND id < ?
                    AND id IN (SELECT max(id) FROM imports WHERE status = 'done' GROUP BY file)
                    AND file <> (SELECT file FROM imports WHERE id = ?)
                ORDER BY id
                """, arguments: [mapping, importId, importId])
        // (An older import of the same file is already out of plans: the latest of a file counts.)
        guard !candidates.isEmpty else { return [] }
        var held = Set<String>()
        let ids = try sourceIds(importId)
        while let row = try ids.next() { held.insert(row[0]) }
        guard !held.isEmpty else { return [] }
        var replaced: [ReplacedSnapshot] = []
        for candidate in candidates {
            let id: Int64 = candidate["id"]
            guard try !hasActivities(id) else { continue }
            var records = 0
            var shared = 0
            let older = try sourceIds(id)
            while let row = try older.next() {
                records += 1
                if held.contains(row[0]) { shared += 1 }
            }
            guard records > 0, Double(shared) >= Double(records) * replacingShare else { continue }
            try db.execute(sql: "UPDATE imports SET retired_by = ? WHERE id = ?", arguments: [importId, id])
            replaced.append(ReplacedSnapshot(importId: id, file: candidate["file"], records: records, held: shared))
        }
        return replaced
    }
}
