import Foundation
import GRDB

/// Single-record writes outside a pull: what a webhook (or a test fixture) reports happened.
extension MirrorDatabase {
    /// Adds or updates appointments as HighLevel sent them, keeping the contact's others.
    public func storeAppointments(_ appointments: [Appointment], at time: Date = Date()) throws {
        guard !appointments.isEmpty else { return }
        let sql = ActivityRows.upsertSQL(
            table: "appointments", columns: "id, contact_id, calendar_id, title, notes, status, start_time, end_time, raw, pulled_at, date_added")
        try writer.write { db in
            let statement = try db.cachedStatement(sql: sql)
            for event in appointments {
                try statement.execute(arguments: [
                    event.id, event.contactId, event.calendarId, event.title, event.notes, event.status, event.startTime.map(Timestamp.format),
                    event.endTime.map(Timestamp.format), event.raw.canonicalText, Timestamp.format(time), event.dateAdded.map(Timestamp.format),
                ])
            }
        }
    }

    /// Marks a task completed (or not) at `time`, keeping its other fields; false when the
    /// mirror does not have the task.
    @discardableResult
    public func setTaskCompleted(_ id: String, completed: Bool, at time: Date) throws -> Bool {
        try writer.write { db in
            try db.execute(
                sql: """
                    UPDATE tasks SET completed = ?, completed_at = CASE WHEN ? THEN coalesce(completed_at, ?) END,
                        raw = json_set(raw, '$.completed', json(?)), pulled_at = ?
                    WHERE id = ?
                    """, arguments: [completed ? 1 : 0, completed, Timestamp.format(time), completed ? "true" : "false", Timestamp.format(time), id])
            return db.changesCount > 0
        }
    }

    /// Removes a task, note or appointment HighLevel deleted; false when it was not mirrored.
    @discardableResult
    public func deleteRecord(_ kind: MirroredRecord, id: String) throws -> Bool {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM \(kind.table) WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    /// Marks a contact deleted in HighLevel (kept, not erased, as a full pull does).
    @discardableResult
    public func markContactDeleted(_ id: String, at time: Date) throws -> Bool {
        try writer.write { db in try ContactRows.markDeleted(id, at: Timestamp.format(time), in: db) }
    }
}

/// The child records the mirror keeps per contact.
public enum MirroredRecord: String, Sendable, CaseIterable {
    case task, note, appointment

    var table: String {
        switch self {
        case .task: "tasks"
        case .note: "notes"
        case .appointment: "appointments"
        }
    }
}
