import Foundation
import GRDB

/// The workspace's SQLite database (`mirror.sqlite`, WAL): HighLevel records as pulled, their
/// full-text indexes, pull checkpoints and the record of runs. All SQL of the project lives in
/// this folder; values are always bound.
public struct MirrorDatabase: Sendable {
    let writer: DatabasePool

    /// 64 MiB of page cache per connection (negative: KiB).
    static let cacheSizePragma = -65536
    /// The WAL is checkpointed every 4,096 pages (64 MiB of 16 KiB pages) rather than every 1,000:
    /// pages a pull rewrites commit after commit (the id index, the queue) reach the database file
    /// once, not once per commit.
    static let walAutocheckpointPages = 4096

    /// Opens (creating if needed) and migrates the mirror.
    public init(file: URL) throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.walAutocheckpointPages)")
            // 64 MiB of page cache: FTS5 merges and the key indexes stay in memory during a pull.
            try db.execute(sql: "PRAGMA cache_size = \(Self.cacheSizePragma)")
        }
        do {
            try Self.createIfMissing(file)
            writer = try DatabasePool(path: file.path, configuration: configuration)
            try Self.migrator.migrate(writer)
            try finishAbandonedBulkLoad()
        } catch let error as DatabaseError {
            throw MirrorError.unusable(file.path, error.message ?? "SQLite error \(error.resultCode.rawValue)")
        }
    }

    /// A new mirror gets 16 KiB pages: a first pull writes, and a plan scans, a good third fewer
    /// pages than with SQLite's 4 KiB. The size is fixed when the file is created, before WAL mode
    /// (which the pool sets at once); an existing file keeps the page size it has.
    static func createIfMissing(_ file: URL) throws {
        guard !FileManager.default.fileExists(atPath: file.path) else { return }
        let queue = try DatabaseQueue(path: file.path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = 16384")
            try db.execute(sql: "PRAGMA journal_mode = WAL")
        }
        try queue.close()
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try writer.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-highlevel-records") { db in
            try db.execute(
                sql: """
                    CREATE TABLE contacts (
                        id TEXT NOT NULL PRIMARY KEY,
                        location_id TEXT,
                        first_name TEXT,
                        last_name TEXT,
                        name TEXT,
                        email TEXT,
                        email_key TEXT,
                        phone TEXT,
                        phone_key TEXT,
                        phone_search TEXT NOT NULL DEFAULT '',
                        company TEXT,
                        source TEXT,
                        tags TEXT NOT NULL DEFAULT '[]',
                        tags_text TEXT NOT NULL DEFAULT '',
                        date_added TEXT,
                        date_updated TEXT,
                        deleted_at TEXT,
                        raw TEXT NOT NULL,
                        pulled_at TEXT NOT NULL
                    );
                    CREATE INDEX contacts_email_key ON contacts(email_key);
                    CREATE INDEX contacts_phone_key ON contacts(phone_key);
                    CREATE INDEX contacts_date_updated ON contacts(date_updated);
                    CREATE INDEX contacts_date_added ON contacts(date_added);
                    CREATE TABLE tasks (
                        id TEXT NOT NULL PRIMARY KEY,
                        contact_id TEXT NOT NULL,
                        title TEXT,
                        body TEXT,
                        assigned_to TEXT,
                        due_date TEXT,
                        completed INTEGER NOT NULL DEFAULT 0,
                        raw TEXT NOT NULL,
                        pulled_at TEXT NOT NULL
                    );
                    CREATE INDEX tasks_contact ON tasks(contact_id);
                    CREATE TABLE notes (
                        id TEXT NOT NULL PRIMARY KEY,
                        contact_id TEXT NOT NULL,
                        title TEXT,
                        body TEXT,
                        user_id TEXT,
                        date_added TEXT,
                        raw TEXT NOT NULL,
                        pulled_at TEXT NOT NULL
                    );
                    CREATE INDEX notes_contact ON notes(contact_id);
                    CREATE TABLE appointments (
                        id TEXT NOT NULL PRIMARY KEY,
                        contact_id TEXT NOT NULL,
                        calendar_id TEXT,
                        title TEXT,
                        notes TEXT,
                        status TEXT,
                        start_time TEXT,
                        end_time TEXT,
                        raw TEXT NOT NULL,
                        pulled_at TEXT NOT NULL
                    );
                    CREATE INDEX appointments_contact ON appointments(contact_id);
                    """)
            try db.create(virtualTable: "contacts_fts", using: FTS5()) { t in
                t.synchronize(withTable: "contacts")
                t.tokenizer = .unicode61(diacritics: .remove)
                for column in ["name", "email", "phone_search", "company", "tags_text"] { t.column(column) }
            }
            try db.create(virtualTable: "notes_fts", using: FTS5()) { t in
                t.synchronize(withTable: "notes")
                t.tokenizer = .unicode61(diacritics: .remove)
                t.column("title")
                t.column("body")
            }
            try db.create(virtualTable: "tasks_fts", using: FTS5()) { t in
                t.synchronize(withTable: "tasks")
                t.tokenizer = .unicode61(diacritics: .remove)
                t.column("title")
                t.column("body")
            }
            try db.create(virtualTable: "appointments_fts", using: FTS5()) { t in
                t.synchronize(withTable: "appointments")
                t.tokenizer = .unicode61(diacritics: .remove)
                t.column("title")
                t.column("notes")
            }
        }
        migrator.registerMigration("v1-pull-state-and-runs") { db in
            try db.execute(
                sql: """
                    CREATE TABLE checkpoints (
                        name TEXT NOT NULL PRIMARY KEY,
                        value TEXT NOT NULL,
                        updated_at TEXT NOT NULL
                    );
                    CREATE TABLE pull_queue (contact_id TEXT NOT NULL PRIMARY KEY);
                    CREATE TABLE pull_seen (contact_id TEXT NOT NULL PRIMARY KEY);
                    CREATE TABLE runs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind TEXT NOT NULL,
                        mode TEXT,
                        started_at TEXT NOT NULL,
                        ended_at TEXT,
                        status TEXT NOT NULL,
                        requests INTEGER NOT NULL DEFAULT 0,
                        throttled INTEGER NOT NULL DEFAULT 0,
                        retries INTEGER NOT NULL DEFAULT 0,
                        counts TEXT NOT NULL DEFAULT '{}',
                        message TEXT
                    );
                    """)
        }
        migrator.registerMigration("v2-fts-rank-weights") { db in
            // Stored in each index so `ORDER BY rank` is ranked inside FTS5, which can then stop
            // at the LIMIT instead of handing every match to SQLite's sorter.
            try db.execute(sql: "INSERT INTO contacts_fts(contacts_fts, rank) VALUES('rank', 'bm25(10.0, 5.0, 5.0, 2.0, 1.0)')")
            for table in ["notes_fts", "tasks_fts", "appointments_fts"] {
                try db.execute(sql: "INSERT INTO \(table)(\(table), rank) VALUES('rank', 'bm25(3.0, 1.0)')")
            }
        }
        registerStagingMigrations(&migrator)
        registerSyncMigrations(&migrator)
        registerJournalMigrations(&migrator)
        registerReportMigrations(&migrator)
        registerWebhookMigrations(&migrator)
        registerReportIndexMigrations(&migrator)
        registerCoveringIndexMigrations(&migrator)
        registerTagIndexMigrations(&migrator)
        registerLeadTableMigrations(&migrator)
        registerDigestMigrations(&migrator)
        registerPullMigrations(&migrator)
        registerSnapshotMigrations(&migrator)
        registerBaseMigrations(&migrator)
        registerPruneMigrations(&migrator)
        registerChangeLogMigrations(&migrator)
        registerKeyIndexMigrations(&migrator)
        return migrator
    }
}

/// The mirror file cannot be used.
public enum MirrorError: Error, LocalizedError, Equatable {
    case unusable(String, String)
    case emptyQuery
    case repeatingCursor(String)
    case unknownContact(String)

    public var errorDescription: String? {
        switch self {
        case .unusable(let path, let detail):
            "The mirror \(path) cannot be opened (\(detail)); move it away and run 'liqsync pull --full' to rebuild it."
        case .emptyQuery:
            "The search has no words to look for; type a name, email, phone or word."
        case .unknownContact(let id):
            "The mirror has no HighLevel contact \(id); check the id, or run 'liqsync pull' first."
        case .repeatingCursor(let endpoint):
            "HighLevel returned the same page twice from \(endpoint); the pull stopped to avoid looping — run it again, and report it if it repeats."
        }
    }
}
