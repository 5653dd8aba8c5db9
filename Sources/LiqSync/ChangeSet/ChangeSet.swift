import Crypto
import Foundation
import Synchronization

/// The first line of a change set: what was compared, when, under which policies.
public struct ChangeSetHeader: Sendable, Codable, Equatable {
    public static let formatName = "liqsync-changeset"
    public static let currentVersion = 1

    public var type = "header"
    public var format = Self.formatName
    public var version = Self.currentVersion
    public var planId: String
    public var created: String
    public var workspace: String
    public var direction: String
    /// A digest of the mirror's contacts (id + dateUpdated) when the plan was made.
    public var mirrorFingerprint: String
    public var mirrorContacts: Int
    /// The staged imports compared: id, file, SHA-256.
    public var inputs: [PlanInput]
    public var policies: [String: String]
    /// Set by `apply` once it has run to the end; a plan applied cannot be reviewed again.
    public var applied: String?

    public init(
        planId: String, created: String, workspace: String, direction: String, mirrorFingerprint: String, mirrorContacts: Int, inputs: [PlanInput],
        policies: [String: String]
    ) {
        self.planId = planId
        self.created = created
        self.workspace = workspace
        self.direction = direction
        self.mirrorFingerprint = mirrorFingerprint
        self.mirrorContacts = mirrorContacts
        self.inputs = inputs
        self.policies = policies
    }
}

/// One staged import a plan read.
public struct PlanInput: Sendable, Codable, Equatable {
    public var importId: Int64
    public var file: String
    public var sha256: String
    public var profile: String

    public init(importId: Int64, file: String, sha256: String, profile: String) {
        self.importId = importId
        self.file = file
        self.sha256 = sha256
        self.profile = profile
    }
}

/// The last line: counts and the checksum of every line before it.
public struct ChangeSetTrailer: Sendable, Codable, Equatable {
    public var type = "trailer"
    public var changes: Int
    public var counts: [String: Int]
    public var conflicts: Int
    public var accepted: Int
    public var rejected: Int
    /// SHA-256 (hex) of the header and change lines, each with its `\n`.
    public var sha256: String
}

/// A whole change set in memory: header, changes, and the trailer's counts.
public struct ChangeSet: Sendable, Equatable {
    public var header: ChangeSetHeader
    public var changes: [Change]

    public init(header: ChangeSetHeader, changes: [Change]) {
        self.header = header
        self.changes = changes
    }

    /// Counts per `target/entity/op`, as the trailer and the summary show them.
    public var counts: [String: Int] { ChangeTally(changes).counts }

    public var conflictCount: Int { changes.indices.count { changes[$0].conflict != nil } }
}

/// What a trailer counts of a change set's changes: per `target/entity/op`, the conflicts and the
/// decisions. Kept as the lines are encoded, while each change is in that core's cache: counted
/// afterwards, three more passes over tens of thousands of changes ended the write on one core.
struct ChangeTally: Sendable {
    private struct Group: Hashable, Sendable {
        var target: ChangeTarget
        var entity: ChangeEntity
        var op: ChangeOperation
    }

    private var groups: [Group: Int] = [:]
    private(set) var conflicts = 0
    private(set) var accepted = 0
    private(set) var rejected = 0

    init() {}

    init<Changes: Sequence<Change>>(_ changes: Changes) {
        for change in changes { add(change) }
    }

    mutating func add(_ change: Change) {
        groups[Group(target: change.target, entity: change.entity, op: change.op), default: 0] += 1
        if change.conflict != nil { conflicts += 1 }
        switch change.decision?.verdict {
        case .accepted?: accepted += 1
        case .rejected?: rejected += 1
        case nil: break
        }
    }

    mutating func add(_ other: ChangeTally) {
        groups.merge(other.groups, uniquingKeysWith: +)
        conflicts += other.conflicts
        accepted += other.accepted
        rejected += other.rejected
    }

    var counts: [String: Int] {
        var counts: [String: Int] = [:]
        for (group, count) in groups { counts["\(group.target.rawValue)/\(group.entity.rawValue)/\(group.op.rawValue)"] = count }
        return counts
    }
}

/// Why a change set cannot be used.
public enum ChangeSetError: Error, LocalizedError, Equatable {
    case unreadable(String)
    case notAChangeSet(String)
    case unsupportedVersion(String, Int)
    case truncated(String)
    case tampered(String)

    public var errorDescription: String? {
        switch self {
        case .unreadable(let path): "The change set \(path) cannot be read; check the path."
        case .notAChangeSet(let path): "\(path) is not a liqsync change set (.lqcs); pass the file 'liqsync plan' printed."
        case .unsupportedVersion(let path, let version):
            "\(path) is change-set format version \(version), newer than this liqsync understands; upgrade liqsync or re-plan."
        case .truncated(let path): "The change set \(path) is incomplete (cut off); run 'liqsync plan' again to make a new one."
        case .tampered(let path):
            "The change set \(path) was changed outside liqsync (its checksum does not match); run 'liqsync plan' again rather than use it."
        }
    }
}

/// Reads and writes `.lqcs` files: gzip-compressed JSON Lines — a header, one line per change, a
/// trailer with counts and a SHA-256 over the lines before it (`docs/changeset-format.md`).
public enum ChangeSetFile {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    private struct TypeProbe: Decodable {
        var type: String?
        var format: String?
        var version: Int?
    }

    /// Writes the change set to `url` atomically (a temporary file renamed into place).
    public static func write(_ set: ChangeSet, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        defer { try? FileManager.default.removeItem(at: temporary) }
        let writer = try GzipPieceWriter(url: temporary)
        var hasher = SHA256()
        let encoder = encoder()
        func line(_ data: Data) -> [UInt8] {
            var line = [UInt8](data)
            line.append(0x0A)
            hasher.update(data: line)
            return line
        }
        try writer.append(try DeflatedPiece(line(try encoder.encode(set.header)), level: Self.compressionLevel, last: false))
        // Lines are encoded, counted and compressed in pieces on every core, then hashed and
        // written in order as each piece is ready.
        let changes = set.changes
        let size = Self.piece
        var tally = ChangeTally()
        try madeInOrder((changes.count + size - 1) / size, ahead: 4 * max(1, ProcessInfo.processInfo.activeProcessorCount)) { part in
            try Self.encodeLines(changes[(part * size)..<min(part * size + size, changes.count)])
        } consume: { part in
            part.lines.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            try writer.append(part.piece)
            tally.add(part.tally)
        }
        let trailer = ChangeSetTrailer(
            changes: changes.count, counts: tally.counts, conflicts: tally.conflicts, accepted: tally.accepted, rejected: tally.rejected,
            sha256: FileDigest.hex(hasher.finalize()))
        var last = [UInt8](try encoder.encode(trailer))
        last.append(0x0A)
        try writer.finish(with: try DeflatedPiece(last, level: Self.compressionLevel, last: true))
        // rename(2) replaces the old file in one step: a reader sees the old plan or the new one.
        guard rename(temporary.path, url.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }

    /// Changes a piece of the gzip stream holds: pieces of different kinds of changes take
    /// different times, and small pieces keep every core busy to the end (a piece's compression
    /// starts afresh, which costs little at this size).
    static let piece = 512

    /// zlib level 3: on a first sync's change set (100,000 changes, 69 MB of JSON Lines) level 6
    /// compressed 8.5× in 1.06 s of the writing thread, level 3 7.4× in 0.40 s — the write's
    /// critical path, for files 15% larger.
    static let compressionLevel: Int32 = 3

    /// Change lines, each ending in a newline, their gzip piece, and what the trailer counts of them.
    static func encodeLines(_ changes: ArraySlice<Change>) throws -> (lines: [UInt8], piece: DeflatedPiece, tally: ChangeTally) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(changes.count * 768)
        var tally = ChangeTally()
        for change in changes {
            change.writeLine(to: &bytes)
            bytes.append(0x0A)
            tally.add(change)
        }
        return (bytes, try DeflatedPiece(bytes, level: compressionLevel, last: false), tally)
    }

    /// Reads and verifies a change set. Throws `ChangeSetError` for anything but a whole,
    /// untouched file of a known version.
    public static func read(_ url: URL) throws -> ChangeSet {
        guard FileManager.default.isReadableFile(atPath: url.path) else { throw ChangeSetError.unreadable(url.path) }
        let reader: GzipLineReader
        do {
            reader = try GzipLineReader(url: url)
        } catch {
            throw ChangeSetError.unreadable(url.path)
        }
        let decoder = JSONDecoder()
        var hasher = SHA256()
        var header: ChangeSetHeader?
        var changes: [Change] = []
        do {
            while let line = try reader.nextLine() {
                // Change lines (nearly all of them) are parsed once, straight into a change; one that
                // does not parse as JSON falls through to the probe below and is refused.
                let parsed = line.withUnsafeBytes { try? JSONParser.parse(bytes: $0) }
                if header != nil, let parsed, parsed["type"] == .string("change") {
                    guard let value = parsed["change"], let change = try? Change(line: value) else { throw ChangeSetError.tampered(url.path) }
                    changes.append(change)
                    line.withUnsafeBytes { hasher.update(bufferPointer: $0) }
                    hasher.update(data: Data([0x0A]))
                    continue
                }
                let data = Data(line)
                let probe = try? decoder.decode(TypeProbe.self, from: data)
                switch probe?.type {
                case "header" where header == nil:
                    guard probe?.format == ChangeSetHeader.formatName else { throw ChangeSetError.notAChangeSet(url.path) }
                    if let version = probe?.version, version > ChangeSetHeader.currentVersion {
                        throw ChangeSetError.unsupportedVersion(url.path, version)
                    }
                    guard let decoded = try? decoder.decode(ChangeSetHeader.self, from: data) else { throw ChangeSetError.tampered(url.path) }
                    header = decoded
                case "trailer" where header != nil:
                    guard let trailer = try? decoder.decode(ChangeSetTrailer.self, from: data), let header,
                        trailer.sha256 == FileDigest.hex(hasher.finalize()), trailer.changes == changes.count
                    else {
                        throw ChangeSetError.tampered(url.path)
                    }
                    guard try reader.nextLine() == nil else { throw ChangeSetError.tampered(url.path) }
                    return ChangeSet(header: header, changes: changes)
                default:
                    throw header == nil ? ChangeSetError.notAChangeSet(url.path) : ChangeSetError.tampered(url.path)
                }
                hasher.update(data: data)
                hasher.update(data: Data([0x0A]))
            }
        } catch let error as ChangeSetError {
            throw error
        } catch GzipError.truncated {
            throw header == nil ? ChangeSetError.notAChangeSet(url.path) : ChangeSetError.truncated(url.path)
        } catch {
            throw header == nil ? ChangeSetError.notAChangeSet(url.path) : ChangeSetError.tampered(url.path)
        }
        throw header == nil ? ChangeSetError.notAChangeSet(url.path) : ChangeSetError.truncated(url.path)
    }
}
