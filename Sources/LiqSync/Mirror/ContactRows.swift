import Foundation
import GRDB
import GRDBSQLite

/// How a record changed when written to the mirror.
public enum RecordChange: Sendable {
    case new, updated, unchanged
}

/// The statements that write and read mirrored contacts.
enum ContactRows {
    static let upsertSQL = """
        INSERT INTO contacts (id, location_id, first_name, last_name, name, email, email_key, phone, phone_key,
            phone_search, company, source, tags, tags_text, date_added, date_updated, deleted_at, raw, pulled_at,
            utm_source, utm_medium, utm_campaign, sync_digests)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET
            location_id = excluded.location_id, first_name = excluded.first_name, last_name = excluded.last_name,
            name = excluded.name, email = excluded.email, email_key = excluded.email_key, phone = excluded.phone,
            phone_key = excluded.phone_key, phone_search = excluded.phone_search, company = excluded.company,
            source = excluded.source, tags = excluded.tags, tags_text = excluded.tags_text,
            date_added = excluded.date_added, date_updated = excluded.date_updated, deleted_at = NULL,
            raw = excluded.raw, pulled_at = excluded.pulled_at, utm_source = excluded.utm_source,
            utm_medium = excluded.utm_medium, utm_campaign = excluded.utm_campaign, sync_digests = excluded.sync_digests
        """

    /// A contact's column values, computed before the write transaction so the writer holds
    /// the database only for binding and stepping. Text is bound straight from these strings
    /// (no `StatementArguments` boxing: at pull rates it cost more than SQLite's own work).
    struct Prepared: Sendable {
        var id: String
        var raw: String
        var dateUpdated: String?
        /// The upsert's text parameters in order (nil binds NULL).
        var values: [String?]
        /// The last parameter: the synced fields' digests (`SyncDigest.contact`).
        var digests: [UInt8]

        init(_ contact: Contact, pulledAt: String) {
            let raw = contact.raw.canonicalText
            let phoneKey = contact.phone.flatMap(PhoneNumber.e164)
            let dateUpdated = contact.dateUpdated.map(Timestamp.format)
            let attribution = contact.attribution
            self.id = contact.id
            self.raw = raw
            self.dateUpdated = dateUpdated
            digests = SyncDigest.contact(raw: contact.raw)
            var tagsJSON = "["
            for (index, tag) in contact.tags.enumerated() {
                if index > 0 { tagsJSON += "," }
                tagsJSON += JSON.string(tag).canonicalText
            }
            tagsJSON += "]"
            values = [
                contact.id, contact.locationId, contact.firstName, contact.lastName, contact.displayName, contact.email,
                contact.email.map { $0.trimmed.lowercased() }, contact.phone, phoneKey,
                ContactRows.phoneSearchText(phoneKey), contact.companyName, contact.source, tagsJSON, contact.tags.joined(separator: " "),
                contact.dateAdded.map(Timestamp.format), dateUpdated, raw, pulledAt, attribution.source, attribution.medium, attribution.campaign,
            ]
        }

        /// Binds `values` to the upsert and runs it.
        func execute(_ statement: Statement, in db: Database) throws {
            let handle = statement.sqliteStatement
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            for (offset, value) in values.enumerated() { RawSQL.bind(value, at: Int32(offset + 1), to: handle) }
            RawSQL.bind(blob: digests, at: Int32(values.count + 1), to: handle)
            try RawSQL.execute(handle, in: db)
        }
    }

    /// Prepares a page of contacts on every core (the canonical raw JSON is most of a pull's
    /// CPU time), in page order.
    static func prepare(_ contacts: [Contact], pulledAt: String) async -> [Prepared] {
        let cores = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        guard contacts.count >= 64, cores > 1 else { return contacts.map { Prepared($0, pulledAt: pulledAt) } }
        let size = (contacts.count + cores - 1) / cores
        return await withTaskGroup(of: (Int, [Prepared]).self) { group in
            for start in stride(from: 0, to: contacts.count, by: size) {
                let slice = Array(contacts[start..<min(start + size, contacts.count)])
                group.addTask { (start, slice.map { Prepared($0, pulledAt: pulledAt) }) }
            }
            var parts: [(Int, [Prepared])] = []
            for await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.flatMap(\.1)
        }
    }

    /// Runs a statement whose one parameter is a contact's rowid (the queue inserts: one per
    /// contact, so no `StatementArguments` boxing).
    static func execute(_ statement: Statement, rowid: Int64, in db: Database) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_bind_int64(handle, 1, rowid)
        try RawSQL.execute(handle, in: db)
    }

    /// A contact the mirror holds: its rowid, and its raw JSON unless it is marked deleted.
    struct Stored {
        var rowid: Int64
        var liveRaw: String?
    }

    /// What the mirror holds for those ids, in one query (ids it does not hold are absent).
    static func stored(ids: [String], in db: Database) throws -> [String: Stored] {
        var stored: [String: Stored] = [:]
        stored.reserveCapacity(ids.count)
        try db.forEachRow("SELECT id, rowid, CASE WHEN deleted_at IS NULL THEN raw END FROM contacts WHERE id IN", keys: ids) { row in
            stored[row[0]] = Stored(rowid: row[1], liveRaw: row[2])
        }
        return stored
    }

    /// Writes one contact unless its live stored raw JSON is identical; says what changed and
    /// the contact's rowid.
    static func write(_ row: Prepared, stored: Stored?, upsert: Statement, in db: Database) throws -> (change: RecordChange, rowid: Int64) {
        guard let stored else {
            try row.execute(upsert, in: db)
            return (.new, db.lastInsertedRowID)
        }
        if let raw = stored.liveRaw, raw == row.raw { return (.unchanged, stored.rowid) }
        try row.execute(upsert, in: db)
        return (.updated, stored.rowid)
    }

    /// The forms a person types a phone in: full E.164 digits, national number, local number,
    /// last four — so "312-555-0142" finds "+13125550142".
    static func phoneSearchText(_ e164: String?) -> String {
        guard let e164 else { return "" }
        let digits = String(e164.dropFirst())
        var forms = [digits]
        if digits.count == 11, digits.hasPrefix("1") {
            let national = String(digits.dropFirst())
            forms += [national, String(national.suffix(7)), String(national.suffix(4))]
        }
        return forms.joined(separator: " ")
    }

    /// Marks as deleted (kept, not erased) the live contacts absent from `pull_seen`.
    static func markUnseenDeleted(at time: String, in db: Database) throws -> Int {
        try db.execute(
            sql: """
                UPDATE contacts SET deleted_at = ?
                WHERE deleted_at IS NULL AND rowid NOT IN (SELECT contact_rowid FROM pull_seen)
                """, arguments: [time])
        return db.changesCount
    }

    static func markDeleted(_ id: String, at time: String, in db: Database) throws -> Bool {
        try db.execute(sql: "UPDATE contacts SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", arguments: [time, id])
        return db.changesCount > 0
    }
}

/// New, updated and deleted records of one kind.
public struct RecordCounts: Sendable, Codable, Equatable {
    public var new = 0
    public var updated = 0
    public var deleted = 0

    public init() {}

    mutating func add(_ other: RecordCounts) {
        new += other.new
        updated += other.updated
        deleted += other.deleted
    }
}

/// The statements for tasks, notes and appointments: each contact's set is replaced whole.
enum ActivityRows {
    typealias Counts = RecordCounts

    /// Tasks carry no creation or completion time in HighLevel's REST shape, so the mirror keeps
    /// what it observes: `created_at` is the payload's `dateAdded` when there is one, else the pull
    /// that first saw the task — unless that was the first pull ever, when the task may be years
    /// old and the time stays unknown. `completed_at` is when a pull (or webhook) first saw it
    /// completed; a task already completed when first seen has no known completion time.
    static let taskUpsertSQL = """
        INSERT INTO tasks (id, contact_id, title, body, assigned_to, due_date, completed, raw, pulled_at, created_at, completed_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET contact_id = excluded.contact_id, title = excluded.title, body = excluded.body,
            assigned_to = excluded.assigned_to, due_date = excluded.due_date, completed = excluded.completed, raw = excluded.raw,
            pulled_at = excluded.pulled_at, created_at = coalesce(tasks.created_at, excluded.created_at),
            completed_at = CASE WHEN excluded.completed = 0 THEN NULL WHEN tasks.completed = 1 THEN tasks.completed_at
                ELSE coalesce(excluded.completed_at, excluded.pulled_at) END
        """

    /// Whether a pull has finished before: tasks that appear after that are new, not old ones
    /// seen for the first time.
    static func mirrorHasPulled(in db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM runs WHERE kind = 'pull' AND status = 'ok')")) ?? false
    }

    static func taskArguments(_ task: ContactTask, contactId: String, seenAt: String, observed: Bool, completedAt: String? = nil) -> StatementArguments {
        let created = task.dateAdded.map(Timestamp.format) ?? (observed ? seenAt : nil)
        let completed = completedAt ?? (task.completed && observed ? seenAt : nil)
        return [
            task.id, contactId, task.title, task.body, task.assignedTo, task.dueDate.map(Timestamp.format), task.completed ? 1 : 0,
            task.raw.canonicalText, seenAt, created, task.completed ? completed : nil,
        ]
    }

    static func replaceTasks(_ tasks: [ContactTask], of contactId: String, pulledAt: String, in db: Database) throws -> Counts {
        let observed = try mirrorHasPulled(in: db)
        return try replace(
            table: "tasks", contactId: contactId,
            rows: tasks.map { task in
                (task.id, task.raw.canonicalText, taskArguments(task, contactId: contactId, seenAt: pulledAt, observed: observed))
            },
            upsertSQL: taskUpsertSQL, in: db)
    }

    static func replaceNotes(_ notes: [Note], of contactId: String, pulledAt: String, in db: Database) throws -> Counts {
        try replace(
            table: "notes", contactId: contactId, rows: notes.map { note in
                (
                    note.id, note.raw.canonicalText,
                    [
                        note.id, contactId, note.title, note.body, note.userId, note.dateAdded.map(Timestamp.format),
                        note.raw.canonicalText, pulledAt,
                    ] as StatementArguments
                )
            },
            upsertSQL: upsertSQL(table: "notes", columns: "id, contact_id, title, body, user_id, date_added, raw, pulled_at"), in: db)
    }

    static func replaceAppointments(_ appointments: [Appointment], of contactId: String, pulledAt: String, in db: Database) throws
        -> Counts
    {
        try replace(
            table: "appointments", contactId: contactId, rows: appointments.map { event in
                (
                    event.id, event.raw.canonicalText,
                    [
                        event.id, contactId, event.calendarId, event.title, event.notes, event.status,
                        event.startTime.map(Timestamp.format), event.endTime.map(Timestamp.format), event.raw.canonicalText,
                        pulledAt, event.dateAdded.map(Timestamp.format),
                    ] as StatementArguments
                )
            },
            upsertSQL: upsertSQL(
                table: "appointments", columns: "id, contact_id, calendar_id, title, notes, status, start_time, end_time, raw, pulled_at, date_added"),
            in: db)
    }

    /// An insert-or-update of every column but the first (`id`). `table` and `columns` are fixed
    /// names from this file, never user input.
    static func upsertSQL(table: String, columns: String) -> String {
        let names = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
        let updates = names.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        return "INSERT INTO \(table) (\(columns)) VALUES (\(placeholders)) ON CONFLICT(id) DO UPDATE SET \(updates)"
    }

    /// `table` is one of the three fixed names above, never user input.
    private static func replace(
        table: String, contactId: String, rows: [(id: String, raw: String, arguments: StatementArguments)], upsertSQL: String,
        in db: Database
    ) throws -> Counts {
        var counts = Counts()
        var existing: [String: String] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT id, raw FROM \(table) WHERE contact_id = ?"), arguments: [contactId]) {
            existing[row["id"]] = row["raw"]
        }
        let upsert = try db.cachedStatement(sql: upsertSQL)
        var kept = Set<String>()
        for row in rows {
            kept.insert(row.id)
            if let old = existing[row.id] {
                if old == row.raw { continue }
                counts.updated += 1
            } else {
                counts.new += 1
            }
            try upsert.execute(arguments: row.arguments)
        }
        for id in existing.keys where !kept.contains(id) {
            try db.execute(sql: "DELETE FROM \(table) WHERE id = ?", arguments: [id])
            counts.deleted += 1
        }
        return counts
    }
}
