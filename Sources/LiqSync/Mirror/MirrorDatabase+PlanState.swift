import CZlib
import Foundation
import GRDB

/// The last plan's state lives in a file beside the mirror (`mirror.sqlite-plan-state`), not in
/// it. A million rows' state is 17 MB that every plan rewrites: as a record, SQLite wrote it
/// twice (to the WAL, then into the database) and read it back through its page cache, a tenth of
/// a nightly plan's time. The mirror keeps the file's reference (a token written into the file,
/// the length and the CRC-32 of what follows it) in `plan_state`, in the same transaction that
/// trims the change logs. A file that does not answer to its reference is never read: a plan
/// stopped between writing the file and the transaction, a copy of the mirror made without the
/// file, a write the disk lost. The next plan is then a full one, and keeps a new state.
extension MirrorDatabase {
    /// The state file of this mirror.
    var planStateFile: URL { URL(fileURLWithPath: writer.path + "-plan-state") }

    /// The last plan's state, if one was kept, answers to its reference and is readable in this version.
    func planState() throws -> PlanState? {
        guard
            let row = try writer.read({ db in try Row.fetchOne(db, sql: "SELECT version, state FROM plan_state WHERE id = 1") }),
            let version = row["version"] as Int64?, PlanState.readable.contains(version), let data = row["state"] as Data?,
            let reference = StateReference(data)
        else { return nil }
        return StateFile.read(planStateFile, header: reference.header) { bytes in
            guard let payload = reference.payload(of: bytes) else { return nil }
            return PlanState(encoded: payload, version: version)
        }
    }

    /// Keeps `state` for the next plan and starts the change logs, dropping what they hold up
    /// to the state's positions. When the file cannot be written, the mirror forgets the state
    /// instead (the next plan is a full one): a plan never fails for want of its head start.
    func savePlanState(_ state: PlanState) throws {
        guard let reference = try? StateFile.write(to: planStateFile, state.encode) else {
            try clearPlanState()
            return
        }
        try writer.write { db in
            try Self.startChangeLogs(in: db)
            try db.execute(
                sql: "INSERT OR REPLACE INTO plan_state (id, version, state, saved_at) VALUES (1, ?, ?, ?)",
                arguments: [PlanState.version, reference.encoded, Timestamp.format(Date())])
            try Self.trimChangeLogs(upTo: state.positions, in: db)
        }
    }

    /// Copies what the WAL holds into the database file (a passive checkpoint: it waits for no
    /// reader). A plan does it once it has kept its state, while it sorts its changes, rather
    /// than leave the copying to the mirror's closing.
    func copyWALIntoDatabase() throws {
        try writer.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
    }

    /// Forgets what the last plan matched: the next plan reads every contact and row again
    /// (and keeps a new state).
    public func forgetPlanState() throws { try clearPlanState() }

    /// Forgets the plan state and stops the change logs.
    func clearPlanState() throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM plan_state")
            try Self.stopChangeLogs(in: db)
        }
        try? FileManager.default.removeItem(at: planStateFile)
        try? FileManager.default.removeItem(at: StateFile.spare(of: planStateFile))
    }
}

/// What the mirror records of a state file: the token the file starts with, and the length and
/// CRC-32 of what follows the file's header.
struct StateReference: Equatable {
    static let magic = Array("LQPSTATE".utf8)
    var token: [UInt8]
    var length: UInt64
    var crc: UInt64

    /// A new token, for a payload not written yet.
    init() {
        token = withUnsafeBytes(of: UUID().uuid) { Array($0) }
        length = 0
        crc = 0
    }

    /// Takes the next run of the payload into the length and CRC.
    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        length += UInt64(bytes.count)
        crc = Self.crc(bytes, after: crc)
    }

    /// Read back from `plan_state.state`; nil when it is not a reference.
    init?(_ data: Data) {
        guard data.count == 32 else { return nil }
        let bytes = [UInt8](data)
        token = Array(bytes[0..<16])
        length = bytes[16..<24].reversed().reduce(0) { $0 << 8 | UInt64($1) }
        crc = bytes[24..<32].reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    var encoded: Data {
        var bytes = token
        withUnsafeBytes(of: length.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: crc.littleEndian) { bytes += $0 }
        return Data(bytes)
    }

    /// The file's first bytes: the magic and the token.
    var header: [UInt8] { Self.magic + token }

    /// The payload of a file's bytes, when the file is the one this reference names.
    func payload(of bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let size = header.count
        guard bytes.count == size + Int(clamping: length), header.elementsEqual(bytes[0..<size]) else { return nil }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[size...])
        return Self.crc(payload) == crc ? payload : nil
    }

    static func crc(_ bytes: UnsafeRawBufferPointer, after crc: UInt64 = 0) -> UInt64 {
        guard let base = bytes.baseAddress else { return crc }
        return UInt64(crc32_z(uLong(crc), base.assumingMemoryBound(to: Bytef.self), bytes.count))
    }
}

/// A state file written whole (`AtomicFile`, unsynced) and read mapped.
enum StateFile {
    /// Writes the header of a new reference, then the payload `encode` hands over in runs;
    /// returns the reference (its length and CRC those of the payload). Not synced to disk: a
    /// file the disk lost fails its CRC, and a full plan is the worst that comes of it.
    ///
    /// Written over a spare file in place, which then takes the state's name, and the file it
    /// replaces becomes the next spare: the spare's pages are in the page cache from the plan
    /// before, and writing over them took 2 ms where a new 17 MB file took 15–45 ms (page by page
    /// allocated and charged, while the disk was busy with the night's import). Readers open the
    /// state by its name only, so none is reading the file written over (and one that was would
    /// find its token changed: `read`).
    static func write(to file: URL, _ encode: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> StateReference {
        var reference = StateReference()
        let spare = Self.spare(of: file).path
        let descriptor = open(spare, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: spare]) }
        // Written from the start (opened without O_APPEND or O_TRUNC), then cut to its length.
        var offset: off_t = 0
        func put(_ bytes: UnsafeRawBufferPointer) throws {
            try AtomicFile.writeAll(descriptor, bytes)
            offset += off_t(bytes.count)
        }
        var failed = false
        do {
            try reference.header.withUnsafeBytes(put)
            try encode { run in
                reference.add(run)
                try put(run)
            }
        } catch {
            failed = true
        }
        if !failed, ftruncate(descriptor, offset) != 0 { failed = true }
        if close(descriptor) != 0 { failed = true }
        // The state it replaces is kept under a second name, to become the spare.
        let previous = spare + ".previous"
        unlink(previous)
        let kept = !failed && link(file.path, previous) == 0
        if failed || rename(spare, file.path) != 0 {
            unlink(spare)
            if kept { unlink(previous) }
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
        }
        if kept { rename(previous, spare) }
        return reference
    }

    /// The spare file the next state is written over.
    static func spare(of file: URL) -> URL {
        file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).spare")
    }

    /// `body` over the file's bytes, mapped (nil when the file cannot be read, or when, once
    /// `body` is done, the file no longer starts with `header`: written over meanwhile).
    static func read<T>(_ file: URL, header: [UInt8], _ body: (UnsafeRawBufferPointer) -> T?) -> T? {
        let descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size > 0 else { return nil }
        let size = Int(status.st_size)
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED else { return nil }
        defer { munmap(mapped, size) }
        guard let value = body(UnsafeRawBufferPointer(start: mapped, count: size)) else { return nil }
        // Read again through the file, not the mapping: a writer puts the new header first.
        var start = [UInt8](repeating: 0, count: header.count)
        guard start.withUnsafeMutableBytes({ pread(descriptor, $0.baseAddress, $0.count, 0) }) == header.count, start == header else { return nil }
        return value
    }
}
