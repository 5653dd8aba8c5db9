import Foundation
import GRDB
import LiqSync
import Sandbox
import Synchronization
import Testing

@Suite("Import beside other connections")
struct ImportBesideReadersTests {
    /// An import copies the WAL into the database from a connection of its own while it stages;
    /// another process reading the mirror all along (a report, a search) must neither fail the
    /// import nor be disturbed by it.
    @Test("an import completes while another connection reads the mirror throughout; the next one after it too")
    func importBesideALongRead() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-ws-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let workspace = Workspace(root: root)
        try workspace.initialize(config: WorkspaceConfig())
        let mirror = try workspace.openMirror()
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        let sandbox = SeedGenerator(seed: 3, contactCount: 200)
        let first = try LocaliQExportGenerator(seed: 8, contacts: 3_000, sandbox: sandbox).write(to: root.appendingPathComponent("one"))
        let second = try LocaliQExportGenerator(seed: 9, contacts: 2_000, sandbox: sandbox).write(to: root.appendingPathComponent("two"))

        // Another connection opens a read transaction before the import and keeps it until told.
        let reader = try DatabaseQueue(path: root.appendingPathComponent("mirror.sqlite").path)
        let reading = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let seen = Mutex<(before: Int?, after: Int?)>((nil, nil))
        Thread {
            defer { done.signal() }
            try? reader.read { db in
                let before = try Int.fetchOne(db, sql: "SELECT count(*) FROM staged_rows")
                reading.signal()
                release.wait()
                // Still the snapshot it started with.
                let after = try Int.fetchOne(db, sql: "SELECT count(*) FROM staged_rows")
                seen.withLock { $0 = (before, after) }
            }
        }.start()
        reading.wait()

        let during = try Importer(database: mirror).run(first.csv, mapping: mapping)
        release.signal()
        done.wait()
        #expect(during.rowsRead == 3_000)
        #expect(during.rowsRead == during.rowsStaged + during.rowsRejected)
        #expect(seen.withLock { $0.before } == 0)
        #expect(seen.withLock { $0.after } == 0)

        let after = try Importer(database: mirror).run(second.csv, mapping: mapping)
        #expect(after.rowsRead == 2_000)
        #expect(after.rowsRead == after.rowsStaged + after.rowsRejected)
        #expect(try mirror.integrityCheck() == "ok")
        // Both imports' rows are there for a fresh reader.
        let staged = try reader.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM staged_rows") }
        #expect(staged == during.rowsStaged + after.rowsStaged)
        try reader.close()
    }
}
