import Foundation
import GRDB

/// One change's outcome in the apply journal.
public struct JournalEntry: Sendable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// A create was sent and its answer not yet recorded: on resume, look for the record first.
        case started
        case done
        case failed
        case stale
    }

    public var changeId: Int
    public var status: Status
    public var recordId: String?
    public var message: String?

    public init(changeId: Int, status: Status, recordId: String? = nil, message: String? = nil) {
        self.changeId = changeId
        self.status = status
        self.recordId = recordId
        self.message = message
    }
}

/// The apply journal: per plan and change, what happened. Written before the next change is
/// sent, so a rerun after a crash applies each change once.
extension MirrorDatabase {
    static func registerJournalMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-apply-journal") { db in
            try db.execute(
                sql: """
                    CREATE TABLE apply_journal (
                        plan_id TEXT NOT NULL,
                        change_id INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        record_id TEXT,
                        message TEXT,
                        at TEXT NOT NULL,
                        PRIMARY KEY (plan_id, change_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE localiq_sent (
                        contact_id TEXT NOT NULL PRIMARY KEY,
                        plan_id TEXT NOT NULL,
                        sent_at TEXT NOT NULL
                    );
                    """)
        }
    }

    /// Marks HighLevel contacts as sent to LocaliQ in an import file, so later plans do not send
    /// them again while LocaliQ has not imported them yet.
    public func recordSentToLocaliQ(_ contactIds: [String], planId: String) throws {
        guard !contactIds.isEmpty else { return }
        try writer.write { db in
            let now = Timestamp.format(Date())
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO localiq_sent (contact_id, plan_id, sent_at) VALUES (?, ?, ?)")
            for id in contactIds { try statement.execute(arguments: [id, planId, now]) }
        }
    }

    /// HighLevel contacts sent to LocaliQ and not yet seen in a LocaliQ export: id → when.
    public func sentToLocaliQ() throws -> [String: String] {
        try writer.read { db in
            var sent: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT contact_id, sent_at FROM localiq_sent") { sent[row[0]] = row[1] }
            return sent
        }
    }

    /// The journal of a plan, by change id.
    public func journal(planId: String) throws -> [Int: JournalEntry] {
        try writer.read { db in
            var entries: [Int: JournalEntry] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT change_id, status, record_id, message FROM apply_journal WHERE plan_id = ?", arguments: [planId]) {
                let status = JournalEntry.Status(rawValue: row["status"]) ?? .failed
                entries[row["change_id"]] = JournalEntry(changeId: row["change_id"], status: status, recordId: row["record_id"], message: row["message"])
            }
            return entries
        }
    }

    /// Records a change's outcome; with a contact, the mirror copy, the link and the base are
    /// updated in the same transaction.
    public func recordOutcome(
        planId: String, _ entry: JournalEntry, contact: Contact? = nil, link: (localiqId: String, contactId: String)? = nil,
        agreed: [String: JSON] = [:]
    ) throws {
        let prepared = contact.map { ContactRows.Prepared($0, pulledAt: Timestamp.format(Date())) }
        try writer.write { db in
            let now = Timestamp.format(Date())
            try db.execute(
                sql: "INSERT OR REPLACE INTO apply_journal (plan_id, change_id, status, record_id, message, at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [planId, entry.changeId, entry.status.rawValue, entry.recordId, entry.message, now])
            if let prepared {
                let stored = try ContactRows.stored(ids: [prepared.id], in: db)
                _ = try ContactRows.write(prepared, stored: stored[prepared.id], upsert: try db.cachedStatement(sql: ContactRows.upsertSQL), in: db)
            }
            if let link {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO links (localiq_id, contact_id, method, linked_at) VALUES (?, ?, 'apply', ?)",
                    arguments: [link.localiqId, link.contactId, now])
            }
            if let contactId = link?.contactId ?? contact?.id, !agreed.isEmpty {
                let values = try Self.base(of: contactId, in: db).merging(agreed) { _, new in new }
                try Self.storeBases([(contactId, values)], at: now, in: db)
            }
        }
    }
}
