import Foundation
import GRDB

/// A webhook as received and stored, before or after it was applied to the mirror.
public struct StoredWebhookEvent: Sendable, Equatable {
    public var webhookId: String
    public var type: String
    public var eventTime: String?
    public var receivedAt: String
    public var body: Data
    public var status: String
    public var message: String?
}

/// Received webhooks: each is committed here before `liqsync listen` answers 200, so an event
/// acknowledged to HighLevel survives a crash; it is then applied to the mirror, once.
extension MirrorDatabase {
    static func registerWebhookMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v7-webhook-events") { db in
            try db.execute(
                sql: """
                    CREATE TABLE webhook_events (
                        webhook_id TEXT NOT NULL PRIMARY KEY,
                        type TEXT NOT NULL,
                        location_id TEXT,
                        event_time TEXT,
                        received_at TEXT NOT NULL,
                        body BLOB NOT NULL,
                        signature TEXT NOT NULL,
                        status TEXT NOT NULL,
                        applied_at TEXT,
                        message TEXT
                    );
                    CREATE INDEX webhook_events_pending ON webhook_events(received_at) WHERE status = 'pending';
                    """)
        }
    }

    /// Stores a verified event unless one with the same id is stored; true when stored.
    public func storeWebhookEvent(
        webhookId: String, type: String, locationId: String?, eventTime: String?, receivedAt: Date, body: Data, signature: String
    ) throws -> Bool {
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO webhook_events (webhook_id, type, location_id, event_time, received_at, body, signature, status)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')
                    """, arguments: [webhookId, type, locationId, eventTime, Timestamp.format(receivedAt), body, signature])
            return db.changesCount > 0
        }
    }

    /// Stored events not yet applied, oldest first.
    public func pendingWebhookEvents(limit: Int = 200) throws -> [StoredWebhookEvent] {
        try writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM webhook_events WHERE status = 'pending' ORDER BY received_at, rowid LIMIT ?", arguments: [limit]
            ).map(Self.webhookEvent)
        }
    }

    public func webhookEvents() throws -> [StoredWebhookEvent] {
        try writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM webhook_events ORDER BY received_at, rowid").map(Self.webhookEvent) }
    }

    /// Counts per status (pending, applied, ignored, failed).
    public func webhookEventCounts() throws -> [String: Int] {
        try writer.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) FROM webhook_events GROUP BY status") { counts[row[0]] = row[1] }
            return counts
        }
    }

    public func finishWebhookEvent(_ webhookId: String, status: String, message: String?, at time: Date = Date()) throws {
        try writer.write { db in
            try db.execute(
                sql: "UPDATE webhook_events SET status = ?, message = ?, applied_at = ? WHERE webhook_id = ?",
                arguments: [status, message, Timestamp.format(time), webhookId])
        }
    }

    /// The stored raw JSON of one mirrored record, live or not.
    public func storedRaw(_ table: MirroredTable, id: String) throws -> JSON? {
        try writer.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT raw FROM \(table.rawValue) WHERE id = ?", arguments: [id]) else { return nil }
            return try? JSON.parse(Data(text.utf8))
        }
    }

    private static func webhookEvent(_ row: Row) -> StoredWebhookEvent {
        StoredWebhookEvent(
            webhookId: row["webhook_id"], type: row["type"], eventTime: row["event_time"], receivedAt: row["received_at"], body: row["body"],
            status: row["status"], message: row["message"])
    }
}

/// The mirror's record tables, by name.
public enum MirroredTable: String, Sendable {
    case contacts, tasks, notes, appointments
}
