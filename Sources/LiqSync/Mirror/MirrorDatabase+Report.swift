import Foundation
import GRDB

extension MirrorDatabase {
    /// Columns and indexes the reports aggregate on, so every metric is an indexed range scan
    /// in SQLite rather than JSON parsed per row.
    static func registerReportMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6-report-columns") { db in
            try db.execute(
                sql: """
                    ALTER TABLE contacts ADD COLUMN utm_source TEXT;
                    ALTER TABLE contacts ADD COLUMN utm_medium TEXT;
                    ALTER TABLE contacts ADD COLUMN utm_campaign TEXT;
                    ALTER TABLE tasks ADD COLUMN created_at TEXT;
                    ALTER TABLE tasks ADD COLUMN completed_at TEXT;
                    ALTER TABLE appointments ADD COLUMN date_added TEXT;
                    CREATE INDEX tasks_created_at ON tasks(created_at);
                    CREATE INDEX tasks_completed_at ON tasks(completed_at);
                    CREATE INDEX tasks_open_due ON tasks(due_date) WHERE completed = 0;
                    CREATE INDEX notes_date_added ON notes(date_added);
                    CREATE INDEX appointments_date_added ON appointments(date_added);
                    CREATE INDEX appointments_start_time ON appointments(start_time);
                    CREATE INDEX apply_journal_at ON apply_journal(at);
                    CREATE INDEX runs_started_at ON runs(started_at);
                    """)
            // Records mirrored before this version: the same values the pull now stores.
            let contacts = try Row.fetchCursor(db, sql: "SELECT id, raw FROM contacts WHERE raw LIKE '%attributionSource%'")
            let setAttribution = try db.makeStatement(sql: "UPDATE contacts SET utm_source = ?, utm_medium = ?, utm_campaign = ? WHERE id = ?")
            while let row = try contacts.next() {
                guard let json = try? JSON.parse(Data((row["raw"] as String).utf8)), let contact = Contact(json: json) else { continue }
                let attribution = contact.attribution
                try setAttribution.execute(arguments: [attribution.source, attribution.medium, attribution.campaign, row["id"] as String])
            }
            let appointments = try Row.fetchCursor(db, sql: "SELECT id, raw FROM appointments")
            let setBooked = try db.makeStatement(sql: "UPDATE appointments SET date_added = ? WHERE id = ?")
            while let row = try appointments.next() {
                guard let json = try? JSON.parse(Data((row["raw"] as String).utf8)), let booked = Timestamp.parse(json["dateAdded"]) else { continue }
                try setBooked.execute(arguments: [Timestamp.format(booked), row["id"] as String])
            }
        }
    }

    /// Indexes the report reads without touching table rows, and each staged lead's time,
    /// channel, campaign and identity computed once at import rather than per report.
    static func registerReportIndexMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v8-report-covering-indexes") { db in
            try db.execute(
                sql: """
                    DROP INDEX tasks_open_due;
                    CREATE INDEX tasks_open_due ON tasks(due_date, assigned_to, created_at) WHERE completed = 0;
                    CREATE INDEX tasks_completed_due ON tasks(completed_at, due_date, assigned_to, created_at) WHERE completed = 1;
                    DROP INDEX notes_date_added;
                    CREATE INDEX notes_date_added ON notes(date_added, contact_id);
                    CREATE INDEX contacts_live_tags ON contacts(tags) WHERE deleted_at IS NULL;
                    ALTER TABLE staged_rows ADD COLUMN lead_at TEXT;
                    ALTER TABLE staged_rows ADD COLUMN lead_channel TEXT;
                    ALTER TABLE staged_rows ADD COLUMN lead_campaign TEXT;
                    ALTER TABLE staged_rows ADD COLUMN lead_key TEXT;
                    CREATE INDEX staged_rows_lead_at ON staged_rows(lead_at, lead_key, lead_channel) WHERE lead_at IS NOT NULL;
                    """)
            for importId in try Int64.fetchAll(db, sql: "SELECT id FROM imports WHERE status = 'done'") {
                try setLeadColumns(db, importId: importId)
            }
        }
    }

    /// Every report query reads an index alone, never the records (whose raw JSON makes them
    /// large): the time column first, then what the query groups or filters on. Most replace a
    /// narrower index on the same leading column, so a pull maintains no more indexes than before.
    static func registerCoveringIndexMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9-report-index-only") { db in
            try db.execute(
                sql: """
                    DROP INDEX contacts_date_added;
                    DROP INDEX contacts_live_tags;
                    CREATE INDEX contacts_date_added ON contacts(date_added, source, utm_source, utm_medium, utm_campaign, deleted_at, tags, id);
                    DROP INDEX tasks_created_at;
                    DROP INDEX tasks_completed_at;
                    CREATE INDEX tasks_created_at ON tasks(created_at, assigned_to);
                    DROP INDEX appointments_date_added;
                    DROP INDEX appointments_start_time;
                    DROP INDEX appointments_contact;
                    CREATE INDEX appointments_date_added ON appointments(date_added, status);
                    CREATE INDEX appointments_start_time ON appointments(start_time, status);
                    CREATE INDEX appointments_contact ON appointments(contact_id, date_added);
                    """)
        }
    }

    /// The top-tags query groups live contacts by their tag set: an index on it makes that a
    /// scan of a few hundred distinct sets instead of a sort of every contact (2.2 s → 0.15 s at
    /// 1M contacts), for one more index entry per contact written.
    static func registerTagIndexMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v10-live-tag-sets") { db in
            try db.execute(sql: "CREATE INDEX contacts_live_tags ON contacts(tags) WHERE deleted_at IS NULL")
        }
    }

    /// Leads move to their own narrow table, appended in row order as rows are staged: a time
    /// index on staged_rows took random-order inserts that made a 1M-row import thrash its cache.
    /// The report scans the narrow table (tens of bytes a lead) instead.
    static func registerLeadTableMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v11-staged-leads") { db in
            try db.execute(
                sql: """
                    CREATE TABLE staged_leads (
                        row_id INTEGER PRIMARY KEY,
                        lead_at TEXT NOT NULL,
                        lead_key TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        campaign TEXT NOT NULL
                    );
                    INSERT INTO staged_leads (row_id, lead_at, lead_key, channel, campaign)
                    SELECT row_id, lead_at, lead_key, lead_channel, lead_campaign FROM staged_rows WHERE lead_at IS NOT NULL ORDER BY row_id;
                    DROP INDEX staged_rows_lead_at;
                    ALTER TABLE staged_rows DROP COLUMN lead_at;
                    ALTER TABLE staged_rows DROP COLUMN lead_channel;
                    ALTER TABLE staged_rows DROP COLUMN lead_campaign;
                    ALTER TABLE staged_rows DROP COLUMN lead_key;
                    """)
        }
    }

    /// Fills the lead columns of an import's staged rows (see docs/metrics.md, LocaliQ leads);
    /// for imports staged before v8. New rows get them from `LeadColumns` as they are staged.
    static func setLeadColumns(_ db: Database, importId: Int64) throws {
        try db.execute(
            sql: """
                UPDATE staged_rows SET
                    lead_at = coalesce(json_extract(activity, '$.occurred_at'), json_extract(fields, '$.created')),
                    lead_channel = CASE
                        WHEN lower(coalesce(json_extract(activity, '$.channel'), '')) LIKE '%call%'
                            OR lower(coalesce(json_extract(activity, '$.channel'), '')) LIKE '%phone%' THEN 'call'
                        WHEN lower(coalesce(json_extract(activity, '$.channel'), '')) LIKE '%form%' THEN 'form'
                        WHEN lower(coalesce(json_extract(activity, '$.channel'), '')) LIKE '%chat%' THEN 'chat'
                        WHEN trim(coalesce(json_extract(activity, '$.channel'), '')) = '' THEN '(none)' ELSE 'other' END,
                    lead_campaign = coalesce(nullif(trim(json_extract(activity, '$.campaign')), ''), nullif(trim(json_extract(fields, '$.campaign')), ''),
                        nullif(trim(json_extract(fields, '$.source')), ''), '(no campaign)'),
                    lead_key = coalesce(json_extract(activity, '$.id'), source_id, email_key, phone_key, CAST(row_id AS TEXT))
                WHERE row_id BETWEEN ? AND ? AND status = 'staged'
                """, arguments: [importId << 32, importId << 32 | 0xFFFF_FFFF])
    }

    /// Records a finished command (plan, apply, nightly, listen batch) in the runs table, for
    /// `liqsync report`'s sync-health section and `liqsync pull --status`.
    public func recordRun(
        kind: String, mode: String? = nil, startedAt: Date, endedAt: Date = Date(), status: String, stats: ClientStats = ClientStats(),
        counts: [String: Int] = [:], message: String? = nil
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let countsText = String(decoding: try encoder.encode(counts), as: UTF8.self)
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO runs (kind, mode, started_at, ended_at, status, requests, throttled, retries, counts, message)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    kind, mode, Timestamp.format(startedAt), Timestamp.format(endedAt), status, stats.requests, stats.throttled, stats.retries,
                    countsText, message,
                ])
        }
    }
}

/// A staged row's lead: when it happened (the interaction's `occurred_at`, else the contact's
/// `created`), its channel, campaign, and the identity that de-duplicates re-imports. The same
/// rules as `setLeadColumns`, computed while staging.
struct LeadColumns {
    var at: String
    var channel: String
    var campaign: String
    var key: String

    init?(_ row: ImportedRow, rowId: Int64) {
        guard row.status == .staged else { return nil }
        let activity = row.activity
        guard let at = activity?["occurred_at"]?.string ?? row.fields["created"]?.string else { return nil }
        self.at = at
        let channel = (activity?["channel"]?.string ?? "").lowercased()
        if channel.isEmpty {
            self.channel = "(none)"  // a contact row, not an interaction: most rows of most files
        } else if channel.contains("call") || channel.contains("phone") {
            self.channel = "call"
        } else if channel.contains("form") {
            self.channel = "form"
        } else if channel.contains("chat") {
            self.channel = "chat"
        } else {
            self.channel = channel.trimmed.isEmpty ? "(none)" : "other"
        }
        func nonEmpty(_ value: JSON?) -> String? {
            guard let text = value?.string?.trimmed, !text.isEmpty else { return nil }
            return text
        }
        campaign = nonEmpty(activity?["campaign"]) ?? nonEmpty(row.fields["campaign"]) ?? nonEmpty(row.fields["source"]) ?? "(no campaign)"
        let activityId: String?
        switch activity?["id"] {
        case .string(let text)?: activityId = text
        case .number(let number)?: activityId = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        default: activityId = nil
        }
        key = activityId ?? row.sourceId ?? row.emailKey ?? row.phoneKey ?? String(rowId)
    }
}
