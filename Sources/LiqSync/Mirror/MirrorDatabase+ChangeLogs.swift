import Foundation
import GRDB
import GRDBSQLite

/// What changed in the mirror since a plan read it: contacts (with the values the fingerprint
/// hashes as they were before), base digests and links, logged by triggers. The triggers exist
/// only while a plan state needs them (`startChangeLogs`), so a first bulk pull writes no log.
/// See docs/internals/incremental-plan.md.
extension MirrorDatabase {
    static func registerChangeLogMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v19-change-logs") { db in
            try db.execute(
                sql: """
                    CREATE TABLE contact_changes (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        contact_rowid INTEGER NOT NULL,
                        inserted INTEGER NOT NULL,
                        old_id TEXT,
                        old_updated TEXT,
                        old_deleted TEXT,
                        old_email_key TEXT,
                        old_phone_key TEXT
                    );
                    CREATE TABLE base_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, contact_id TEXT NOT NULL);
                    CREATE TABLE link_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, localiq_id TEXT NOT NULL);
                    CREATE TABLE plan_state (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, state BLOB NOT NULL, saved_at TEXT NOT NULL);
                    ALTER TABLE imports ADD COLUMN row_hashes BLOB;
                    """)
        }
    }

    /// The columns a plan's triage or the fingerprint reads: an update of any other column
    /// (attribution, search text) is not logged.
    private static let watchedContactColumns = "id, email_key, phone_key, deleted_at, date_updated, sync_digests"

    private static let triggers = """
        CREATE TRIGGER IF NOT EXISTS contacts_logged_insert AFTER INSERT ON contacts BEGIN
            INSERT INTO contact_changes (contact_rowid, inserted) VALUES (NEW.rowid, 1);
        END;
        CREATE TRIGGER IF NOT EXISTS contacts_logged_update AFTER UPDATE OF \(watchedContactColumns) ON contacts BEGIN
            INSERT INTO contact_changes (contact_rowid, inserted, old_id, old_updated, old_deleted, old_email_key, old_phone_key)
            VALUES (OLD.rowid, 0, OLD.id, OLD.date_updated, OLD.deleted_at, OLD.email_key, OLD.phone_key);
        END;
        CREATE TRIGGER IF NOT EXISTS contacts_logged_delete AFTER DELETE ON contacts BEGIN
            INSERT INTO contact_changes (contact_rowid, inserted, old_id, old_updated, old_deleted, old_email_key, old_phone_key)
            VALUES (OLD.rowid, 0, OLD.id, OLD.date_updated, OLD.deleted_at, OLD.email_key, OLD.phone_key);
        END;
        CREATE TRIGGER IF NOT EXISTS base_logged_insert AFTER INSERT ON base_digests BEGIN
            INSERT INTO base_changes (contact_id) VALUES (NEW.contact_id);
        END;
        CREATE TRIGGER IF NOT EXISTS base_logged_update AFTER UPDATE ON base_digests BEGIN
            INSERT INTO base_changes (contact_id) VALUES (OLD.contact_id);
            INSERT INTO base_changes (contact_id) VALUES (NEW.contact_id);
        END;
        CREATE TRIGGER IF NOT EXISTS base_logged_delete AFTER DELETE ON base_digests BEGIN
            INSERT INTO base_changes (contact_id) VALUES (OLD.contact_id);
        END;
        CREATE TRIGGER IF NOT EXISTS links_logged_insert AFTER INSERT ON links BEGIN
            INSERT INTO link_changes (localiq_id) VALUES (NEW.localiq_id);
        END;
        CREATE TRIGGER IF NOT EXISTS links_logged_update AFTER UPDATE ON links BEGIN
            INSERT INTO link_changes (localiq_id) VALUES (NEW.localiq_id);
        END;
        CREATE TRIGGER IF NOT EXISTS links_logged_delete AFTER DELETE ON links BEGIN
            INSERT INTO link_changes (localiq_id) VALUES (OLD.localiq_id);
        END;
        """

    private static let triggerNames = [
        "contacts_logged_insert", "contacts_logged_update", "contacts_logged_delete", "base_logged_insert", "base_logged_update",
        "base_logged_delete", "links_logged_insert", "links_logged_update", "links_logged_delete",
    ]

    /// How far each log reached at one moment.
    struct ChangeLogPositions: Sendable, Equatable, Codable {
        var contacts: Int64
        var base: Int64
        var links: Int64
    }

    /// Starts logging (if it was not) and says how far each log reaches: a plan calls this
    /// before it reads anything, so whatever changes after its reads is in the logs.
    func beginChangeLogs() throws -> ChangeLogPositions {
        try writer.write { db in
            try Self.startChangeLogs(in: db)
            return try Self.changeLogPositions(in: db)
        }
    }

    /// Starts logging (if it was not) in `db`'s transaction.
    static func startChangeLogs(in db: Database) throws { try db.execute(sql: triggers) }

    /// Stops logging and forgets what was logged.
    static func stopChangeLogs(in db: Database) throws {
        for name in triggerNames { try db.execute(sql: "DROP TRIGGER IF EXISTS \(name)") }
        try db.execute(sql: "DELETE FROM contact_changes; DELETE FROM base_changes; DELETE FROM link_changes")
    }

    /// The last sequence number each log gave (`AUTOINCREMENT`: never given again, even after
    /// the entries are trimmed).
    static func changeLogPositions(in db: Database) throws -> ChangeLogPositions {
        func last(_ table: String) throws -> Int64 {
            try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = ?", arguments: [table]) ?? 0
        }
        return ChangeLogPositions(contacts: try last("contact_changes"), base: try last("base_changes"), links: try last("link_changes"))
    }

    /// Drops the entries at or before `positions` (nothing reads them again).
    static func trimChangeLogs(upTo positions: ChangeLogPositions, in db: Database) throws {
        try db.execute(sql: "DELETE FROM contact_changes WHERE seq <= ?", arguments: [positions.contacts])
        try db.execute(sql: "DELETE FROM base_changes WHERE seq <= ?", arguments: [positions.base])
        try db.execute(sql: "DELETE FROM link_changes WHERE seq <= ?", arguments: [positions.links])
    }

    /// A contact changed since a position: as it was then (nil when it was inserted since).
    struct ContactBefore: Sendable {
        var id: String
        var updated: String?
        var deleted: String?
        var emailKey: String?
        var phoneKey: String?
    }

    /// Contacts changed after `position`, by rowid, each with its first logged state (how it
    /// was at `position`), in at most `limit` entries (nil: more than that changed).
    static func contactChanges(after position: Int64, limit: Int, in db: Database) throws -> [Int64: ContactBefore?]? {
        var changes: [Int64: ContactBefore?] = [:]
        let rows = try Row.fetchCursor(
            db, sql: "SELECT contact_rowid, inserted, old_id, old_updated, old_deleted, old_email_key, old_phone_key FROM contact_changes WHERE seq > ? ORDER BY seq LIMIT ?",
            arguments: [position, limit + 1])
        var count = 0
        while let row = try rows.next() {
            count += 1
            if count > limit { return nil }
            let rowid: Int64 = row[0]
            guard changes[rowid] == nil else { continue }
            let inserted: Bool = row[1]
            changes[rowid] = inserted ? .some(nil) : ContactBefore(id: row[2] ?? "", updated: row[3], deleted: row[4], emailKey: row[5], phoneKey: row[6])
        }
        return changes
    }

    /// Contact ids whose base changed after `position` (nil: more than `limit` entries).
    static func baseChanges(after position: Int64, limit: Int, in db: Database) throws -> Set<String>? {
        let ids = try String.fetchAll(db, sql: "SELECT contact_id FROM base_changes WHERE seq > ? LIMIT ?", arguments: [position, limit + 1])
        return ids.count > limit ? nil : Set(ids)
    }

    /// Whether any link changed after `position`.
    static func linksChanged(after position: Int64, in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM link_changes WHERE seq > ?)", arguments: [position]) ?? false
    }
}
