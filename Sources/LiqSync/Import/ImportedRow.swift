import Foundation

/// Something noticed about one row: a warning (the row is staged) or a rejection (it is not).
public struct Finding: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case invalidPhone = "invalid-phone"
        case invalidEmail = "invalid-email"
        case invalidDate = "invalid-date"
        case unknownStatus = "unknown-status"
        case invalidDuration = "invalid-duration"
        case shortRow = "short-row"
        case longRow = "long-row"
        case nulBytes = "nul-bytes"
        case oversizedCell = "oversized-cell"
        case missingRequired = "missing-required"
        case invalidRecord = "invalid-record"
        case placeholder = "placeholder"
        case noContactKey = "no-contact-key"
    }

    public var kind: Kind
    /// The source column (CSV header or JSON key), when one is to blame.
    public var column: String?
    /// The offending value, cut to 80 characters.
    public var value: String?
    /// What happened, as a sentence part ("not a phone number; kept as text, not used to match").
    public var reason: String
    public var rejects: Bool

    public init(_ kind: Kind, column: String? = nil, value: String? = nil, reason: String, rejects: Bool = false) {
        self.kind = kind
        self.column = column
        self.value = value.map { $0.count > 80 ? String($0.prefix(77)) + "..." : $0 }
        self.reason = reason
        self.rejects = rejects
    }
}

/// One input row after mapping: canonical fields, keys to match by, what was noticed.
public struct ImportedRow: Sendable {
    /// What the row is for the sync.
    public enum Status: String, Sendable, Codable {
        /// Staged and used.
        case staged
        /// Not staged: a finding rejects it (listed in the errors file).
        case rejected
        /// Staged but not synced (a placeholder contact, no contact key).
        case excluded
        /// Staged, but the same person as another row of the file, which carries its data.
        case duplicate
    }

    public var line: Int
    public var status: Status = .staged
    /// The cells as read (CSV), or the record (JSON).
    public var raw: RawRecord
    /// Canonical contact fields (`first_name`, `email`, `tags` as an array, …). Empty values are left out.
    public var fields = FieldValues()
    /// Columns no rule reads, by header.
    public var extras: [String: String] = [:]
    /// For interaction rows: the activity (call, form, chat) with its canonical fields.
    public var activity: [String: JSON]?
    public var findings: [Finding] = []
    /// LocaliQ's id of the contact.
    public var sourceId: String?
    /// The lower-cased email, when the email is valid.
    public var emailKey: String?
    /// The E.164 phone, when the phone is valid.
    public var phoneKey: String?
    /// For a duplicate: the line of the row that carries the person's data.
    public var duplicateOf: Int?

    public init(line: Int, raw: RawRecord) {
        self.line = line
        self.raw = raw
    }

    public var isRejected: Bool { findings.contains { $0.rejects } }

    /// The canonical text of a field (arrays joined with `, `).
    public func text(_ field: String) -> String? {
        switch fields[field] {
        case .string(let value)?: value
        case .array(let items)?: items.compactMap(\.string).joined(separator: ", ")
        default: nil
        }
    }
}

/// A row's record as read, stored as its `raw` column.
public enum RawRecord: Sendable, Equatable {
    /// CSV: the record's bytes followed by each cell's end (4 bytes, little-endian), as
    /// `CSVRecord.packed` writes them; stored as the JSON array of the cells (`CSVRecord.cellsJSON`),
    /// written on the staging thread (the reading thread is the import's busier half).
    case csv(packed: [UInt8], cells: Int)
    /// JSON: the record.
    case json(JSON)

    func write<Sink: ByteSink>(to output: inout Sink) {
        switch self {
        case .csv(let packed, let cells):
            packed.withUnsafeBufferPointer { packed in
                let ends = packed.count - 4 * cells
                guard ends >= 0 else { return }
                let endsStart = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(packed)[ends...])
                CSVRecord.writeCellsJSON(
                    bytes: UnsafeBufferPointer(rebasing: packed[0..<ends]), cellCount: cells,
                    end: { Int(UInt32(littleEndian: endsStart.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }, to: &output)
            }
        case .json(let value): value.write(to: &output)
        }
    }
}

/// A row's canonical fields, kept in name order: a million rows are mapped, digested and written
/// as canonical JSON per import, and a short sorted list does all three without hashing a name
/// or sorting the members again.
public struct FieldValues: Sendable, Sequence {
    public typealias Element = (key: String, value: JSON)
    private var members: [Element] = []

    public init() { members.reserveCapacity(20) }

    public init(_ dictionary: [String: JSON]) {
        members = dictionary.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
    }

    public subscript(name: String) -> JSON? {
        get {
            let (index, found) = position(of: name)
            return found ? members[index].value : nil
        }
        set {
            let (index, found) = position(of: name)
            switch (found, newValue) {
            case (true, let value?): members[index].value = value
            case (true, nil): members.remove(at: index)
            case (false, let value?): members.insert((key: name, value: value), at: index)
            case (false, nil): break
            }
        }
    }

    public var isEmpty: Bool { members.isEmpty }
    public var count: Int { members.count }
    public var dictionary: [String: JSON] { Dictionary(members, uniquingKeysWith: { first, _ in first }) }
    public func makeIterator() -> IndexingIterator<[Element]> { members.makeIterator() }

    /// Appends a value whose name sorts after every name already here (the caller's order).
    mutating func appendInOrder(_ name: String, _ value: JSON) {
        assert(members.last.map { $0.key < name } ?? true, "appendInOrder out of order")
        members.append((key: name, value: value))
    }

    /// For each of `names` (in `String` order) that has a value: its tag and where the value is
    /// (for `value(at:)`), found in one walk of both lists.
    func positions(of names: [(name: String, index: Int)], _ found: (Int, Int) -> Void) {
        var position = 0
        for (name, tag) in names {
            while position < members.count, members[position].key < name { position += 1 }
            guard position < members.count else { return }
            if members[position].key == name { found(tag, position) }
        }
    }

    func value(at position: Int) -> JSON { members[position].value }

    /// Where `name` is, or would go (binary search in `String` order, the canonical JSON's).
    private func position(of name: String) -> (Int, Bool) {
        var low = 0
        var high = members.count
        while low < high {
            let middle = (low + high) / 2
            let key = members[middle].key
            if key == name { return (middle, true) }
            if key < name { low = middle + 1 } else { high = middle }
        }
        return (low, false)
    }

    /// The same text as `JSON.object(dictionary).canonicalText`, without sorting.
    public var canonicalText: String { JSON.text { write(to: &$0) } }

    func write<Sink: ByteSink>(to output: inout Sink) {
        output.append(UInt8(ascii: "{"))
        // Members read in place, not copied out (a retain and release of each name and value).
        members.withUnsafeBufferPointer { members in
            for index in members.indices {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                JSON.writeString(members[index].key, to: &output)
                output.append(UInt8(ascii: ":"))
                members[index].value.write(to: &output)
            }
        }
        output.append(UInt8(ascii: "}"))
    }
}
