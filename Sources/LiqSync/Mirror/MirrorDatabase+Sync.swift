import Foundation
import GRDB
import GRDBSQLite

/// A HighLevel contact as the plan compares it. A class: the plan passes tens of thousands
/// through dictionaries and batches, and copying a struct of seven references retained each.
public final class PlanContact: Sendable {
    public let id: String
    public let emailKey: String?
    public let phoneKey: String?
    public let dateUpdated: String?
    public let deleted: Bool
    /// The synced fields by canonical name, as HighLevel holds them.
    public let values: [String: JSON]
    /// The same values in `SyncField.all`'s order (nil: none): the diff takes them by position
    /// (hashing each field's name on each side was a third of a pair's diff).
    let synced: [JSON?]

    public init(id: String, emailKey: String?, phoneKey: String?, dateUpdated: String?, deleted: Bool, values: [String: JSON]) {
        (self.id, self.emailKey, self.phoneKey, self.dateUpdated, self.deleted) = (id, emailKey, phoneKey, dateUpdated, deleted)
        self.values = values
        synced = values.isEmpty ? SyncField.none : SyncField.all.map { values[$0.name] }
    }

    /// From the synced fields' values in `SyncField.all`'s order (as parsed from raw JSON).
    init(id: String, emailKey: String?, phoneKey: String?, dateUpdated: String?, deleted: Bool, synced: [JSON?]) {
        (self.id, self.emailKey, self.phoneKey, self.dateUpdated, self.deleted) = (id, emailKey, phoneKey, dateUpdated, deleted)
        var values: [String: JSON] = [:]
        for (field, value) in zip(SyncField.all, synced) { if let value { values[field.name] = value } }
        self.values = values
        self.synced = synced
    }
}

/// A staged LocaliQ row as the plan compares it (a class, as `PlanContact` is).
public final class PlanRow: Sendable {
    public let importId: Int64
    public let line: Int
    public let sourceId: String?
    public let emailKey: String?
    public let phoneKey: String?
    public let fields: [String: JSON]
    /// The fields this row speaks for (a CSV column, or a JSON attribute that is present).
    public let known: Set<String>
    /// The synced fields' values in `SyncField.all`'s order (nil: none), and which of them the
    /// row speaks for (bit `i` for `SyncField.all[i]`): the diff takes them by position.
    let synced: [JSON?]
    let knownFields: UInt32

    public init(importId: Int64, line: Int, sourceId: String?, emailKey: String?, phoneKey: String?, fields: [String: JSON], known: Set<String>) {
        (self.importId, self.line, self.sourceId, self.emailKey, self.phoneKey) = (importId, line, sourceId, emailKey, phoneKey)
        (self.fields, self.known) = (fields, known)
        synced = SyncField.all.map { fields[$0.name] }
        knownFields = Self.fieldMask(known)
    }

    /// A row from its fields' JSON, parsed once into the dictionary and the synced values by
    /// position (a row whose JSON does not parse has no fields).
    init(importId: Int64, line: Int, sourceId: String?, emailKey: String?, phoneKey: String?, json: UnsafeRawBufferPointer, known: KnownFields) {
        (self.importId, self.line, self.sourceId, self.emailKey, self.phoneKey) = (importId, line, sourceId, emailKey, phoneKey)
        let parsed = (try? JSONParser.object(of: json, picking: Self.syncedNames)) ?? ([:], SyncField.none)
        (fields, synced) = parsed
        (self.known, knownFields) = known.of(importId: importId, fields: fields)
    }

    /// Bit `i` set for each `SyncField.all[i]` named in `known`.
    static func fieldMask(_ known: Set<String>) -> UInt32 {
        SyncField.all.indices.reduce(0) { mask, index in known.contains(SyncField.all[index].name) ? mask | 1 << index : mask }
    }

    /// The synced fields' names as a staged row's JSON holds them, as bytes, in `SyncField.all`'s order.
    private static let syncedNames = SyncField.all.map { Array($0.name.utf8) }
}

/// The fields a staged row speaks for: its import's mapped columns (a CSV's columns are there on
/// every row, empty or not), or the attributes a JSON row holds. An import's names and their mask
/// are worked out once, not per row.
struct KnownFields: Sendable {
    private let columns: [Int64: (names: Set<String>, mask: UInt32)]

    /// `columns`: each CSV import's mapped fields, by import id.
    init(columns: [Int64: Set<String>]) {
        self.columns = columns.mapValues { ($0, PlanRow.fieldMask($0)) }
    }

    func of(importId: Int64, fields: [String: JSON]) -> (names: Set<String>, mask: UInt32) {
        if let known = columns[importId] { return known }
        let names = Set(fields.keys)
        return (names, PlanRow.fieldMask(names))
    }
}

/// Links (which LocaliQ record is which HighLevel contact) and the base (what both sides last
/// agreed on), the two tables that make the plan three-way.
extension MirrorDatabase {
    static func registerSyncMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-links-and-base") { db in
            try db.execute(
                sql: """
                    CREATE TABLE links (
                        localiq_id TEXT NOT NULL PRIMARY KEY,
                        contact_id TEXT NOT NULL,
                        method TEXT NOT NULL,
                        linked_at TEXT NOT NULL
                    );
                    CREATE INDEX links_contact ON links(contact_id);
                    CREATE TABLE base (
                        contact_id TEXT NOT NULL,
                        field TEXT NOT NULL,
                        value TEXT NOT NULL,
                        agreed_at TEXT NOT NULL,
                        PRIMARY KEY (contact_id, field)
                    ) WITHOUT ROWID;
                    """)
        }
    }

    /// Every contact with the synced fields read from its raw JSON (the plan itself reads only
    /// the contacts it must diff; tests and benchmarks read them all).
    public func planContacts() throws -> [PlanContact] {
        try writer.read { db in
            var contacts: [PlanContact] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT id, email_key, phone_key, date_updated, deleted_at, raw FROM contacts ORDER BY id")
            while let row = try rows.next() { contacts.append(Self.planContact(row)) }
            return contacts
        }
    }

    /// The imports a plan reads by default: the latest finished import of each file, unless a
    /// newer copy of the same export replaced it (`retireSnapshots`).
    public func currentImports() throws -> [ImportRecord] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.importRecordColumns) FROM imports WHERE status = 'done' AND retired_by IS NULL
                        AND id IN (SELECT max(id) FROM imports WHERE status = 'done' GROUP BY file)
                    ORDER BY id
                    """
            ).map(Self.importRecord)
        }
    }

    /// The summary an import recorded.
    public func importSummary(id: Int64) throws -> ImportSummary? {
        try writer.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT summary FROM imports WHERE id = ?", arguments: [id]) else { return nil }
            return try? JSONDecoder().decode(ImportSummary.self, from: Data(text.utf8))
        }
    }

    /// The rows of an import that take part in the sync (staged, not duplicates or excluded).
    public func planRows(importId: Int64, knownColumns: Set<String>?) throws -> [PlanRow] {
        try writer.read { db in
            var rows: [PlanRow] = []
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT line, source_id, email_key, phone_key, fields FROM staged_rows WHERE row_id BETWEEN ? AND ? AND status = 'staged' ORDER BY row_id",
                arguments: [importId << 32, importId << 32 | 0xFFFF_FFFF])
            while let row = try cursor.next() {
                let text: String = row["fields"]
                let fields = (try? JSON.parse(Data(text.utf8)))?.object ?? [:]
                rows.append(
                    PlanRow(
                        importId: importId, line: row["line"], sourceId: row["source_id"], emailKey: row["email_key"], phoneKey: row["phone_key"],
                        fields: fields, known: knownColumns ?? Set(fields.keys)))
            }
            return rows
        }
    }

    /// LocaliQ id → HighLevel contact id.
    public func links() throws -> [String: String] {
        try writer.read { db in
            var links: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT localiq_id, contact_id FROM links") { links[row[0]] = row[1] }
            return links
        }
    }

    /// The HighLevel contact a LocaliQ record is linked to, if any.
    public func linkedContact(_ localiqId: String) throws -> String? {
        try writer.read { db in try String.fetchOne(db, sql: "SELECT contact_id FROM links WHERE localiq_id = ?", arguments: [localiqId]) }
    }

    /// Sets (or with `contactId` nil, clears) the link of a LocaliQ record.
    public func setLink(localiqId: String, contactId: String?, method: String) throws {
        try writer.write { db in
            if let contactId {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO links (localiq_id, contact_id, method, linked_at) VALUES (?, ?, ?, ?)",
                    arguments: [localiqId, contactId, method, Timestamp.format(Date())])
            } else {
                try db.execute(sql: "DELETE FROM links WHERE localiq_id = ?", arguments: [localiqId])
            }
        }
    }

    /// Whether the mirror holds a contact with this id.
    public func contactExists(_ id: String) throws -> Bool {
        try writer.read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM contacts WHERE id = ?", arguments: [id]) ?? false }
    }
}

extension MirrorDatabase {
    /// Writes contacts as HighLevel returned them outside a pull (after an apply, from a webhook).
    @discardableResult
    public func storeContacts(_ contacts: [Contact], at time: Date = Date()) throws -> [RecordChange] {
        let rows = contacts.map { ContactRows.Prepared($0, pulledAt: Timestamp.format(time)) }
        return try writer.write { db in
            let ids = rows.map(\.id)
            let stored = try ContactRows.stored(ids: ids, in: db)
            let upsert = try db.cachedStatement(sql: ContactRows.upsertSQL)
            return try rows.map { row in try ContactRows.write(row, stored: stored[row.id], upsert: upsert, in: db).change }
        }
    }
}

/// A LocaliQ activity (call, form, chat) as staged, with the LocaliQ contact it belongs to.
public struct PlanActivity: Sendable {
    public var contactSourceId: String?
    public var emailKey: String?
    public var phoneKey: String?
    public var activity: [String: JSON]
}

/// A HighLevel note as the plan sees it.
public struct PlanNote: Sendable {
    public var id: String
    public var contactId: String
    public var title: String?
    public var body: String?
    public var dateAdded: String?
}

extension MirrorDatabase {
    /// The activities of an import's rows that take part (staged and collapsed duplicates).
    public func planActivities(importId: Int64) throws -> [PlanActivity] {
        try writer.read { db in
            var activities: [PlanActivity] = []
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT source_id, email_key, phone_key, activity FROM staged_rows INDEXED BY staged_rows_activity
                    WHERE row_id BETWEEN ? AND ? AND status IN ('staged', 'duplicate') AND activity IS NOT NULL ORDER BY row_id
                    """, arguments: [importId << 32, importId << 32 | 0xFFFF_FFFF])
            while let row = try cursor.next() {
                let text: String = row["activity"]
                guard let activity = (try? JSON.parse(Data(text.utf8)))?.object, !activity.isEmpty else { continue }
                activities.append(PlanActivity(contactSourceId: row["source_id"], emailKey: row["email_key"], phoneKey: row["phone_key"], activity: activity))
            }
            return activities
        }
    }

    /// Every live note, by contact id.
    public func planNotes() throws -> [String: [PlanNote]] {
        try writer.read { db in
            var notes: [String: [PlanNote]] = [:]
            let cursor = try Row.fetchCursor(db, sql: "SELECT id, contact_id, title, body, date_added FROM notes ORDER BY contact_id, date_added, id")
            while let row = try cursor.next() {
                let note = PlanNote(id: row["id"], contactId: row["contact_id"], title: row["title"], body: row["body"], dateAdded: row["date_added"])
                notes[note.contactId, default: []].append(note)
            }
            return notes
        }
    }
}

extension MirrorDatabase {
    /// Adds or updates notes as HighLevel returned them (after apply wrote them), keeping the
    /// contact's other notes.
    public func storeNotes(_ notes: [Note], at time: Date = Date()) throws {
        guard !notes.isEmpty else { return }
        try writer.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO notes (id, contact_id, title, body, user_id, date_added, raw, pulled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET contact_id = excluded.contact_id, title = excluded.title, body = excluded.body,
                        user_id = excluded.user_id, date_added = excluded.date_added, raw = excluded.raw, pulled_at = excluded.pulled_at
                    """)
            for note in notes {
                try statement.execute(arguments: [
                    note.id, note.contactId, note.title, note.body, note.userId, note.dateAdded.map(Timestamp.format), note.raw.canonicalText,
                    Timestamp.format(time),
                ])
            }
        }
    }
}

/// A HighLevel task as the plan sees it.
public struct PlanTask: Sendable {
    public var id: String
    public var contactId: String
    public var title: String?
    public var body: String?
    public var completed: Bool
}

extension MirrorDatabase {
    /// Every task, by contact id.
    public func planTasks() throws -> [String: [PlanTask]] {
        try writer.read { db in
            var tasks: [String: [PlanTask]] = [:]
            let cursor = try Row.fetchCursor(db, sql: "SELECT id, contact_id, title, body, completed FROM tasks ORDER BY contact_id, id")
            while let row = try cursor.next() {
                let task = PlanTask(id: row["id"], contactId: row["contact_id"], title: row["title"], body: row["body"], completed: row["completed"])
                tasks[task.contactId, default: []].append(task)
            }
            return tasks
        }
    }

    /// Adds or updates tasks as HighLevel returned them, keeping the contact's other tasks.
    public func storeTasks(_ tasks: [ContactTask], at time: Date = Date()) throws {
        guard !tasks.isEmpty else { return }
        try writer.write { db in
            let statement = try db.cachedStatement(sql: ActivityRows.taskUpsertSQL)
            for task in tasks {
                try statement.execute(arguments: ActivityRows.taskArguments(task, contactId: task.contactId, seenAt: Timestamp.format(time), observed: true))
            }
        }
    }
}
