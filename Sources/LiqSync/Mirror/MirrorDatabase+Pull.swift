import Foundation
import GRDB

/// The progress of a pull, saved in the same transaction as the rows it covers, so a pull
/// killed at any point continues where it stopped.
public struct PullState: Sendable, Codable, Equatable {
    public enum Phase: String, Sendable, Codable {
        case contacts, children
    }

    public var runId: Int64
    public var full: Bool
    public var entities: [String]
    public var phase: Phase
    /// The search cursor after the last page written, or nil before the first.
    public var cursor: JSON?
    /// The deprecated list's cursor, when the pull fell back to it.
    public var listCursor: [String]?
    public var usesDeprecatedList: Bool
    /// `dateUpdated` checkpoint this pull started from (incremental), as ISO text.
    public var since: String?
    /// The newest `dateUpdated` seen so far; the next checkpoint.
    public var newest: String?
    public var counts: [String: RecordCounts]
    public var seenCursors: [String]
}

extension MirrorDatabase {
    static let activePullKey = "pull.active"
    static let contactsCheckpointKey = "pull.contacts.dateUpdated"
    static let bulkLoadKey = "mirror.bulkLoad"

    static func registerPullMigrations(_ migrator: inout DatabaseMigrator) {
        // The pull's queue and seen set hold contacts' rowids, not their ids: a first load queues
        // every contact in the order it is inserted, so the queue is appended to instead of
        // growing a second tree of random ids (it was about half of a first load's writing).
        // Contacts are never erased, so a rowid stays the same contact. Nothing reads contacts by
        // `date_updated` (pulls keep their checkpoint in `checkpoints`), so its index goes.
        migrator.registerMigration("v14-pull-queue-rowids") { db in
            try db.execute(
                sql: """
                    CREATE TABLE pull_queue_rowids (contact_rowid INTEGER PRIMARY KEY);
                    INSERT INTO pull_queue_rowids SELECT c.rowid FROM pull_queue q JOIN contacts c ON c.id = q.contact_id;
                    DROP TABLE pull_queue;
                    ALTER TABLE pull_queue_rowids RENAME TO pull_queue;
                    CREATE TABLE pull_seen_rowids (contact_rowid INTEGER PRIMARY KEY);
                    INSERT INTO pull_seen_rowids SELECT c.rowid FROM pull_seen s JOIN contacts c ON c.id = s.contact_id;
                    DROP TABLE pull_seen;
                    ALTER TABLE pull_seen_rowids RENAME TO pull_seen;
                    DROP INDEX IF EXISTS contacts_date_updated;
                    """)
            // A bulk load under way put its dropped indexes back from this list.
            if var bulk: BulkLoad = try checkpoint(bulkLoadKey, in: db) {
                bulk.statements.removeAll { $0.contains("contacts_date_updated") }
                try saveCheckpoint(bulkLoadKey, bulk, in: db)
            }
        }
    }

    /// The first pull into an empty mirror loads contacts without their secondary indexes and
    /// full-text triggers, then builds both once (sorted index builds and one FTS5 rebuild are
    /// several times faster than keeping them up to date row by row). The statements that put
    /// them back are saved in the same transaction that drops them, so a pull killed mid-load
    /// restores them when it resumes, or when the mirror is next opened without a pull to resume.
    struct BulkLoad: Codable {
        var statements: [String]
    }

    static func beginBulkLoad(in db: Database) throws {
        guard try (checkpoint(bulkLoadKey, in: db) as BulkLoad?) == nil,
            try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM contacts)") == true
        else { return }
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT type, name, sql FROM sqlite_master
                WHERE tbl_name = 'contacts' AND sql IS NOT NULL AND (type = 'index' OR (type = 'trigger' AND name LIKE '__contacts_fts_%'))
                ORDER BY type, name
                """)
        guard !rows.isEmpty else { return }
        try saveCheckpoint(bulkLoadKey, BulkLoad(statements: rows.map { $0["sql"] }), in: db)
        for row in rows {
            let name: String = row["name"]
            try db.execute(sql: "DROP \((row["type"] as String) == "index" ? "INDEX" : "TRIGGER") \(name.quotedDatabaseIdentifier)")
        }
    }

    /// Puts back what `beginBulkLoad` dropped and indexes every contact for search.
    static func endBulkLoad(in db: Database) throws {
        guard let bulk: BulkLoad = try checkpoint(bulkLoadKey, in: db) else { return }
        for statement in bulk.statements { try db.execute(sql: statement) }
        try db.execute(sql: "INSERT INTO contacts_fts(contacts_fts) VALUES('rebuild')")
        try db.execute(sql: "DELETE FROM checkpoints WHERE name = ?", arguments: [bulkLoadKey])
    }

    /// A bulk load left by a pull that is not going to resume it is finished now.
    func finishAbandonedBulkLoad() throws {
        try writer.write { db in
            guard try (Self.checkpoint(Self.bulkLoadKey, in: db) as BulkLoad?) != nil,
                try (Self.checkpoint(Self.activePullKey, in: db) as PullState?) == nil
            else { return }
            try Self.endBulkLoad(in: db)
        }
    }

    public func activePull() async throws -> PullState? {
        try await writer.read { db in try Self.checkpoint(Self.activePullKey, in: db) }
    }

    /// The `dateUpdated` every contact up to which the last completed pull covered.
    public func contactsCheckpoint() async throws -> String? {
        try await writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM checkpoints WHERE name = ?", arguments: [Self.contactsCheckpointKey]) }
    }

    /// Starts a pull: a run record, an empty queue, and the saved state.
    public func beginPull(full: Bool, entities: [String], since: String?) async throws -> PullState {
        try await writer.write { db in
            let runId = try RunRows.begin(kind: "pull", mode: full ? "full" : "incremental", in: db)
            try db.execute(sql: "DELETE FROM pull_queue")
            try db.execute(sql: "DELETE FROM pull_seen")
            try Self.beginBulkLoad(in: db)
            let state = PullState(
                runId: runId, full: full, entities: entities, phase: .contacts, cursor: nil, listCursor: nil, usesDeprecatedList: false,
                since: since, newest: nil, counts: [:], seenCursors: [])
            try Self.saveCheckpoint(Self.activePullKey, state, in: db)
            return state
        }
    }

    /// Contacts made ready to write — canonical raw JSON, key columns, digests — away from the
    /// database's writer, so one page is prepared while the one before it is written.
    public struct PreparedContacts: Sendable {
        var rows: [ContactRows.Prepared]

        public var count: Int { rows.count }

        public init() { rows = [] }

        /// Prepares `contacts` on every core, in order.
        public init(_ contacts: [Contact], pulledAt: Date) async {
            rows = await ContactRows.prepare(contacts, pulledAt: Timestamp.format(pulledAt))
        }

        public mutating func append(_ other: PreparedContacts) { rows += other.rows }
    }

    /// Writes one page of contacts, queues the changed ones for their children, and saves the
    /// state — all in one transaction.
    public func commitContactPage(_ contacts: [Contact], state: PullState, pulledAt: Date) async throws -> PullState {
        try await commitContactPage(await PreparedContacts(contacts, pulledAt: pulledAt), state: state)
    }

    /// Writes prepared contacts (one page or several), queues the changed ones for their children,
    /// and saves the state — all in one transaction.
    public func commitContactPage(_ prepared: PreparedContacts, state: PullState) async throws -> PullState {
        let rows = prepared.rows
        return try await writer.write { db in
            var state = state
            let stored = try ContactRows.stored(ids: rows.map(\.id), in: db)
            var counts = state.counts["contacts"] ?? RecordCounts()
            let enqueue = try db.cachedStatement(sql: "INSERT OR IGNORE INTO pull_queue (contact_rowid) VALUES (?)")
            let markSeen = try db.cachedStatement(sql: "INSERT OR IGNORE INTO pull_seen (contact_rowid) VALUES (?)")
            let upsert = try db.cachedStatement(sql: ContactRows.upsertSQL)
            // A contact twice in one batch (pages that overlap) is compared with what this batch
            // wrote for it, not with the row from before the batch.
            var written: [String: ContactRows.Stored] = [:]
            for row in rows {
                let (change, rowid) = try ContactRows.write(row, stored: written[row.id] ?? stored[row.id], upsert: upsert, in: db)
                written[row.id] = ContactRows.Stored(rowid: rowid, liveRaw: row.raw)
                switch change {
                case .new: counts.new += 1
                case .updated: counts.updated += 1
                case .unchanged: break
                }
                if state.full || change != .unchanged { try ContactRows.execute(enqueue, rowid: rowid, in: db) }
                if state.full { try ContactRows.execute(markSeen, rowid: rowid, in: db) }
                if let updated = row.dateUpdated, updated > (state.newest ?? "") { state.newest = updated }
            }
            state.counts["contacts"] = counts
            try Self.saveCheckpoint(Self.activePullKey, state, in: db)
            return state
        }
    }

    /// Ends the contacts phase: on a full pull, contacts HighLevel no longer has are marked deleted.
    public func finishContactPhase(_ state: PullState, at time: Date) async throws -> PullState {
        try await writer.write { db in
            var state = state
            if state.full {
                let deleted = try ContactRows.markUnseenDeleted(at: Timestamp.format(time), in: db)
                state.counts["contacts", default: RecordCounts()].deleted += deleted
                try db.execute(sql: "DELETE FROM pull_seen")
            }
            try Self.endBulkLoad(in: db)
            state.phase = .children
            try Self.saveCheckpoint(Self.activePullKey, state, in: db)
            return state
        }
    }

    /// Contacts still waiting for their tasks, notes and appointments.
    public func queuedContacts(limit: Int) async throws -> [String] {
        try await writer.read { db in
            try String.fetchAll(
                db, sql: "SELECT c.id FROM pull_queue q JOIN contacts c ON c.rowid = q.contact_rowid ORDER BY q.contact_rowid LIMIT ?",
                arguments: [limit])
        }
    }

    public func queuedCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pull_queue") ?? 0 }
    }

    /// The children fetched for one contact (nil for an entity not pulled); replaces the
    /// contact's stored sets and takes it off the queue, in one transaction.
    public struct Children: Sendable {
        public var tasks: [ContactTask]?
        public var notes: [Note]?
        public var appointments: [Appointment]?
        /// True when HighLevel answered 404 for the contact: it is marked deleted.
        public var contactGone = false

        public init(tasks: [ContactTask]? = nil, notes: [Note]? = nil, appointments: [Appointment]? = nil, contactGone: Bool = false) {
            self.tasks = tasks
            self.notes = notes
            self.appointments = appointments
            self.contactGone = contactGone
        }
    }

    public func commitChildren(_ children: Children, of contactId: String, state: PullState, pulledAt: Date) async throws -> PullState {
        try await writer.write { db in
            var state = state
            let time = Timestamp.format(pulledAt)
            if children.contactGone {
                if try ContactRows.markDeleted(contactId, at: time, in: db) {
                    state.counts["contacts", default: RecordCounts()].deleted += 1
                }
            } else {
                if let tasks = children.tasks {
                    state.counts["tasks", default: RecordCounts()].add(try ActivityRows.replaceTasks(tasks, of: contactId, pulledAt: time, in: db))
                }
                if let notes = children.notes {
                    state.counts["notes", default: RecordCounts()].add(try ActivityRows.replaceNotes(notes, of: contactId, pulledAt: time, in: db))
                }
                if let appointments = children.appointments {
                    state.counts["appointments", default: RecordCounts()].add(
                        try ActivityRows.replaceAppointments(appointments, of: contactId, pulledAt: time, in: db))
                }
            }
            try db.cachedStatement(sql: "DELETE FROM pull_queue WHERE contact_rowid = (SELECT rowid FROM contacts WHERE id = ?)")
                .execute(arguments: [contactId])
            try Self.saveCheckpoint(Self.activePullKey, state, in: db)
            return state
        }
    }

    /// Ends the pull: the new checkpoint, the run record, the active state cleared.
    public func finishPull(_ state: PullState, stats: ClientStats, at time: Date) async throws {
        try await writer.write { db in
            if let newest = state.newest, newest > (try String.fetchOne(db, sql: "SELECT value FROM checkpoints WHERE name = ?", arguments: [Self.contactsCheckpointKey]) ?? "") {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO checkpoints (name, value, updated_at) VALUES (?, ?, ?)",
                    arguments: [Self.contactsCheckpointKey, newest, Timestamp.format(time)])
            }
            try Self.endBulkLoad(in: db)
            try db.execute(sql: "DELETE FROM checkpoints WHERE name = ?", arguments: [Self.activePullKey])
            try RunRows.finish(state.runId, status: "ok", stats: stats, counts: state.counts, message: nil, at: time, in: db)
        }
    }

    /// Records a pull that stopped early; its state stays so the next pull resumes it.
    public func recordStoppedPull(_ state: PullState, stats: ClientStats, message: String, at time: Date) async throws {
        try await writer.write { db in
            try RunRows.finish(state.runId, status: "stopped", stats: stats, counts: state.counts, message: message, at: time, in: db)
        }
    }

    static func checkpoint<T: Decodable>(_ name: String, in db: Database) throws -> T? {
        guard let text = try String.fetchOne(db, sql: "SELECT value FROM checkpoints WHERE name = ?", arguments: [name]) else { return nil }
        return try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    static func saveCheckpoint<T: Encodable>(_ name: String, _ value: T, in db: Database) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(value), as: UTF8.self)
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO checkpoints (name, value, updated_at) VALUES (?, ?, ?)")
            .execute(arguments: [name, text, Timestamp.format(Date())])
    }
}

extension MirrorDatabase {
    /// The named indexes and triggers on a mirror table (for checks and tests).
    public func schemaObjects(on table: MirroredTable) throws -> [String] {
        try writer.read { db in
            try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL AND type IN ('index', 'trigger') ORDER BY name",
                arguments: [table.rawValue])
        }
    }
}
