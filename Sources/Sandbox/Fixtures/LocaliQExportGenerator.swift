import Foundation

/// Writes a LocaliQ contact export (CSV and JSON) that overlaps the sandbox's seeded people with
/// controlled differences, plus the ground truth of those differences, so tests of the plan can
/// compare what liqsync finds with what was put there.
///
/// Each LocaliQ row is one of: `same` (the sandbox person, with format noise only — phone written
/// another way, email case and spaces, another date format), `changed` (one field differs:
/// company, last name, city or an extra tag), `removed` (archived in LocaliQ), or `new` (a person
/// the sandbox does not have). Sandbox people left out of the export are `highlevelOnly`.
/// Emails are under example.com and phones in the 555-01xx range.
public struct LocaliQExportGenerator: Sendable {
    public var seed: UInt64
    /// LocaliQ rows to write.
    public var contacts: Int
    /// The sandbox the export overlaps (the same seed and count as `liqsync sandbox`).
    public var sandbox: SeedGenerator

    public init(seed: UInt64 = 1, contacts: Int = 100, sandbox: SeedGenerator = SeedGenerator()) {
        self.seed = seed
        self.contacts = contacts
        self.sandbox = sandbox
    }

    /// What was written, for the caller to report.
    public struct Output: Sendable {
        public var csv: URL
        public var json: URL
        public var truth: URL
        public var counts: [String: Int]
    }

    /// One row's ground truth.
    struct TruthRow: Codable {
        var localiqId: String
        var line: Int
        var kind: String
        var highlevelId: String?
        /// Field → [highlevel value, localiq value] for `changed` rows.
        var changes: [String: [String]]?
    }

    static let header = [
        "id", "first_name", "last_name", "email", "phone_mobile", "phone_work", "company", "address1", "city", "state", "postal",
        "country", "tags", "status", "created_at", "archived_at", "notes",
    ]

    /// Writes `localiq-contacts.csv`, `localiq-contacts.json` and `ground-truth.json` into `folder`,
    /// streaming, so an export of millions of rows (for benchmarks) needs little memory.
    public func write(to folder: URL) throws -> Output {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let output = Output(
            csv: folder.appendingPathComponent("localiq-contacts.csv"), json: folder.appendingPathComponent("localiq-contacts.json"),
            truth: folder.appendingPathComponent("ground-truth.json"), counts: [:])
        let csv = try StreamedFile(output.csv)
        let json = try StreamedFile(output.json)
        let truthFile = try StreamedFile(output.truth)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]

        let data = sandbox.generate()
        var random = SeededRandom(seed: seed ^ 0x10CA_11C0)
        let people = data.contacts.filter { $0.email != nil || $0.phone != nil }.shuffled(using: &random)
        let overlap = min(people.count, contacts * 7 / 10)
        var counts: [String: Int] = [:]
        var included = Set<String>()
        // CSV with a BOM and CRLF line ends, as Excel writes it.
        try csv.write("\u{FEFF}" + Self.header.joined(separator: ",") + "\r\n")
        try json.write("{\"contacts\":[")
        try truthFile.write("{\"sandboxContacts\":\(sandbox.contactCount),\"sandboxSeed\":\(sandbox.seed),\"seed\":\(seed),\"rows\":[\n")
        for index in 0..<contacts {
            let (row, entry) = makeRow(
                index: index, newIndex: index - overlap, person: index < overlap ? people[index] : nil, random: &random)
            counts[entry.kind, default: 0] += 1
            if let id = entry.highlevelId { included.insert(id) }
            try csv.write(Self.header.map { Self.csvField(row[$0] ?? "") }.joined(separator: ",") + "\r\n")
            try json.write((index == 0 ? "" : ",") + Self.jsonRecord(row))
            try truthFile.write((index == 0 ? "" : ",\n") + String(decoding: try encoder.encode(entry), as: UTF8.self))
        }
        let highlevelOnly = data.contacts.map(\.id).filter { !included.contains($0) }
        counts["highlevelOnly"] = highlevelOnly.count
        try json.write("],\"page\":1,\"total_pages\":1}")
        try truthFile.write("\n],\"highlevelOnly\":" + String(decoding: try encoder.encode(highlevelOnly), as: UTF8.self) + "}\n")
        for file in [csv, json, truthFile] { try file.close() }
        var result = output
        result.counts = counts
        return result
    }

    private static let statuses = ["pending_contact", "active_lead", "client", "none", "NEW", "IN_PROGRESS", "CUSTOMER"]

    /// One LocaliQ row: a sandbox person with noise and perhaps a difference, or a new person.
    private func makeRow(index: Int, newIndex: Int, person: SandboxContact?, random: inout SeededRandom) -> ([String: String], TruthRow) {
        var row: [String: String] = [:]
        var entry: TruthRow
        let localiqId = String(9_000_000_000 + Int(random.next() % 999_999_999))
        if let person {
            row["first_name"] = person.firstName ?? ""
            row["last_name"] = person.lastName ?? ""
            row["email"] = person.email.map { noisyEmail($0, &random) } ?? ""
            let phone = person.phone.map { noisyPhone($0, &random) } ?? ""
            row[random.chance(0.5) ? "phone_mobile" : "phone_work"] = phone
            row["company"] = person.companyName ?? ""
            row["address1"] = person.address1 ?? ""
            row["city"] = person.city ?? ""
            row["state"] = person.state ?? ""
            row["postal"] = person.postalCode ?? ""
            row["country"] = random.chance(0.5) ? "US" : "United States"
            row["tags"] = person.tags.joined(separator: random.chance(0.5) ? "," : ";")
            row["created_at"] = noisyDate(person.dateAdded, &random)
            entry = TruthRow(localiqId: localiqId, line: 0, kind: "same", highlevelId: person.id)
            let roll = Double.random(in: 0..<1, using: &random)
            if roll < 0.3 {
                let field = random.pick(["company", "last_name", "city", "tags"])
                let before = field == "tags" ? person.tags.joined(separator: ", ") : row[field] ?? ""
                let after: String
                switch field {
                case "company": after = (person.companyName ?? "New") + " Group"
                case "last_name": after = (person.lastName ?? "") + "-Lee"
                case "city": after = "Springfield"
                default: after = (person.tags + ["localiq-changed"]).joined(separator: ", ")
                }
                row[field] = after
                entry.kind = "changed"
                entry.changes = [field: [before, after]]
            } else if roll < 0.4 {
                row["archived_at"] = "2026-10-15T12:00:00Z"
                entry.kind = "removed"
            }
        } else {
            let first = random.pick(SeedGenerator.firstNames)
            let last = random.pick(SeedGenerator.lastNames)
            let local = "lq.\(first).\(last).\(index)".folding(options: .diacriticInsensitive, locale: nil).lowercased()
                .filter { $0.isLetter || $0.isNumber || $0 == "." }
            row["first_name"] = first
            row["last_name"] = last
            row["email"] = "\(local)@example.com"
            // 555-01xx leaves 100 numbers per area code: area codes from 989 down give 60,000
            // distinct phones the sandbox (which counts up from 201) does not use; rows beyond
            // that have no phone rather than a shared one.
            if newIndex < 60_000 {
                let n = newIndex
                row["phone_mobile"] = String(format: "(%03d) 555-01%02d", 989 - n / 100, n % 100)
            }
            row["company"] = random.chance(0.5) ? random.pick(SeedGenerator.companies) : ""
            row["tags"] = "localiq"
            row["created_at"] = noisyDate(sandbox.referenceDate.addingTimeInterval(-Double(index % 90) * 86_400), &random)
            entry = TruthRow(localiqId: localiqId, line: 0, kind: "new")
        }
        row["id"] = localiqId
        row["status"] = random.pick(Self.statuses)
        if random.chance(0.1) { row["notes"] = "Asked about \"pricing\",\r\ncall after 5pm." }
        entry.line = index + 2
        return (row, entry)
    }

    /// A record as the LocaliQ API writes it: absent attributes left out, tags as an array.
    private static func jsonRecord(_ row: [String: String]) -> String {
        var record: [String: Any] = [:]
        for (key, value) in row where !value.isEmpty {
            switch key {
            case "id": record[key] = Int(value) ?? value
            case "tags": record[key] = value.split(whereSeparator: { $0 == "," || $0 == ";" }).map { $0.trimmingCharacters(in: .whitespaces) }
            default: record[key] = value
            }
        }
        let data = (try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private func noisyEmail(_ email: String, _ random: inout SeededRandom) -> String {
        switch Int.random(in: 0..<4, using: &random) {
        case 0: email.uppercased()
        case 1: " \(email) "
        default: email
        }
    }

    /// `+13125550101` written as people type it.
    private func noisyPhone(_ e164: String, _ random: inout SeededRandom) -> String {
        let digits = String(e164.dropFirst(2))
        guard digits.count == 10 else { return e164 }
        let a = digits.prefix(3)
        let b = digits.dropFirst(3).prefix(3)
        let c = digits.suffix(4)
        return random.pick(["(\(a)) \(b)-\(c)", "\(a)-\(b)-\(c)", "\(a).\(b).\(c)", String(digits), "+1 \(a) \(b) \(c)", "1-\(a)-\(b)-\(c)"])
    }

    /// One instant in one of the formats LocaliQ files mix.
    private func noisyDate(_ date: Date, _ random: inout SeededRandom) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let (y, mo, d, h, mi, s) = (c.year ?? 2000, c.month ?? 1, c.day ?? 1, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
        switch Int.random(in: 0..<3, using: &random) {
        case 0: return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s)
        case 1: return String(format: "%04d-%02d-%02d %02d:%02d:%02d UTC", y, mo, d, h, mi, s)
        default:
            let hour12 = h % 12 == 0 ? 12 : h % 12
            return String(format: "%d/%d/%04d %d:%02d:%02d ", mo, d, y, hour12, mi, s) + (h < 12 ? "AM" : "PM")
        }
    }

    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || value.hasPrefix(" ") || value.hasSuffix(" ") else {
            return value
        }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A file written through a buffer.
final class StreamedFile {
    private let handle: FileHandle
    private var buffer = Data()

    init(_ url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count > 1 << 20 {
            try handle.write(contentsOf: buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    func close() throws {
        try handle.write(contentsOf: buffer)
        try handle.close()
    }
}
