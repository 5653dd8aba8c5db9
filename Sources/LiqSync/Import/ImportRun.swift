import Foundation

/// The state of one import while it reads: the batch being staged, the counts, the keys seen
/// (for duplicates inside the file) and the errors file.
struct ImportRun {
    let importId: Int64
    let url: URL
    let mapping: FieldMapping
    let options: ImportOptions
    let database: MirrorDatabase
    let errorsURL: URL

    private var batch: [ImportedRow] = []
    private let pipeline: StagingPipeline
    /// The staged rows' content hashes once `finish` ran (kept with the import for the plans).
    private(set) var rowHashes = RowHashes()
    private var errors: CSVWriter?
    private var read = 0
    private var staged = 0
    private var rejected = 0
    private var excluded = 0
    private var warnings: [String: Int] = [:]
    private var rejections: [String: Int] = [:]
    private var unmapped: [String] = []
    private var duplicateHeaders: [String] = []
    private var firstWindows1252Line: Int?
    private var delimiter: String?
    private var format = "csv"
    private var mappedFields: [String]?
    /// The sync fields every row speaks for: a CSV's mapped columns (nil for JSON, where each
    /// record speaks for the attributes it holds) — as the plan reads them.
    private var knownMask: UInt32?
    private var collapsed = 0
    /// Rows per batch: small at first, so the staging thread starts work while the first
    /// thousands of rows are still being read, then doubling up to `options.batchSize`.
    private var batchLimit: Int

    init(importId: Int64, url: URL, mapping: FieldMapping, options: ImportOptions, database: MirrorDatabase, errorsURL: URL) {
        self.importId = importId
        self.url = url
        self.mapping = mapping
        self.options = options
        self.database = database
        self.errorsURL = errorsURL
        batchLimit = min(256, options.batchSize)
        batch.reserveCapacity(batchLimit)
        pipeline = StagingPipeline(database: database, importId: importId)
        // An errors file from an earlier run of this input would describe rows that are now fine.
        try? FileManager.default.removeItem(at: errorsURL)
    }

    mutating func readCSV(progress: (@Sendable (Int64) -> Void)?) throws {
        var reader = try CSVReader(url: url)
        // Whatever happens, no batch is still being written when this returns.
        defer {
            reader.close()
            pipeline.drain()
        }
        delimiter = [0x2C: ",", 0x3B: ";", 0x09: "tab", 0x7C: "|"][reader.delimiter]
        guard var headerRecord = try reader.next() else { return }
        var binding = RecordMapper(mapping: mapping, workspaceZone: options.zone)
        let header = headerRecord.cells()
        if headerRecord.usedWindows1252 { firstWindows1252Line = headerRecord.line }
        let bound = binding.bind(header: header)
        // A constant from here on: a method called on a `var` works on a copy of it (every rule
        // and header name retained and released again per row).
        let mapper = binding
        unmapped = bound.unmapped
        duplicateHeaders = bound.duplicates
        let unbound = Set(mapper.unboundFields())
        mappedFields = mapping.fields.map(\.field).filter { !unbound.contains($0) }
        knownMask = mappedFields.map(SyncDigest.mask)
        let missing = mapping.requiredAnyOf.filter { group in group.allSatisfy { mapper.unboundFields().contains($0) || mapping.rule(for: $0) == nil } }
        if !missing.isEmpty, header.count > 0 {
            throw ImportError.missingRequiredColumns(url.path, missing.map { $0.joined(separator: " or ") })
        }
        var lastReport = Int64(0)
        while var record = try reader.next() {
            let row = mapper.map(&record)
            if record.usedWindows1252, firstWindows1252Line == nil { firstWindows1252Line = record.line }
            try accept(row)
            if let progress, reader.bytesRead - lastReport > 1 << 22 {
                lastReport = reader.bytesRead
                progress(reader.bytesRead)
            }
        }
        try flush()
    }

    mutating func readJSON(progress: (@Sendable (Int64) -> Void)?) throws {
        format = "json"
        var reader = try JSONRecordReader(url: url)
        defer {
            reader.close()
            pipeline.drain()
        }
        let mapper = RecordMapper(mapping: mapping, workspaceZone: options.zone)
        var keysSeen = Set<String>()
        var lastReport = Int64(0)
        var ordinal = 0
        while let record = try reader.next() {
            // JSON rows are numbered by record (a whole page can sit on one line); for JSON Lines
            // files the record number is the line number.
            ordinal += 1
            let row = mapper.map(json: record.value, line: ordinal)
            for key in row.extras.keys where keysSeen.insert(key).inserted { unmapped.append(key) }
            try accept(row)
            if let progress, reader.bytesRead - lastReport > 1 << 22 {
                lastReport = reader.bytesRead
                progress(reader.bytesRead)
            }
        }
        try flush()
    }

    /// Counts a mapped row (strict mode applied), writes its findings to the errors file and adds
    /// it to the batch (moved in, not copied).
    private mutating func accept(_ row: consuming ImportedRow) throws {
        read += 1
        if options.strict, row.status != .rejected, row.findings.contains(where: { !$0.rejects && Self.isWarning($0.kind) }) {
            for index in row.findings.indices where Self.isWarning(row.findings[index].kind) { row.findings[index].rejects = true }
            row.status = .rejected
        }
        for finding in row.findings {
            if finding.rejects {
                rejections[finding.kind.rawValue, default: 0] += 1
            } else if Self.isWarning(finding.kind) {
                warnings[finding.kind.rawValue, default: 0] += 1
            }
        }
        switch row.status {
        case .rejected: rejected += 1
        case .excluded:
            excluded += 1
            staged += 1
        case .staged, .duplicate:
            staged += 1
        }
        if row.findings.contains(where: { $0.rejects || Self.isWarning($0.kind) }) { try writeErrors(row) }
        batch.append(consume row)
        if batch.count >= batchLimit { try flush() }
    }

    /// Placeholders and key-less rows are noted as excluded, not counted as warnings.
    static func isWarning(_ kind: Finding.Kind) -> Bool { kind != .placeholder && kind != .noContactKey }

    private mutating func flush() throws {
        guard !batch.isEmpty else { return }
        try pipeline.submit(batch, mappedFields: knownMask)
        batch = []
        batchLimit = min(batchLimit * 2, options.batchSize)
        batch.reserveCapacity(batchLimit)
    }

    private mutating func writeErrors(_ row: ImportedRow) throws {
        if errors == nil {
            errors = try CSVWriter(
                url: errorsURL, header: ["file", "line", "column", "value", "outcome", "kind", "reason"], formulaGuard: .prefixApostrophe)
        }
        for finding in row.findings where finding.rejects || Self.isWarning(finding.kind) {
            try errors?.write([
                url.lastPathComponent, String(row.line), finding.column ?? "", finding.value ?? "", finding.rejects ? "rejected" : "warning",
                finding.kind.rawValue, finding.reason,
            ])
        }
    }

    /// Resolves duplicate groups and closes the errors file.
    ///
    /// The rule: rows of one file that share a LocaliQ id, an email key or a phone key are one
    /// person. The row with the latest `updated` time (the last in the file when times tie or are
    /// missing) keeps the person's data; its empty fields are filled from the others, newest
    /// first; the others are staged as `duplicate` of it, their activities kept.
    mutating func finish() throws {
        try errors?.close()
        try pipeline.finish()
        rowHashes = pipeline.takeRowHashes()
        var candidatePairs = pipeline.takeCandidatePairs()
        guard !candidatePairs.isEmpty else { return }
        // Candidate groups from the hashed keys, in memory: integers only.
        var parent: [Int: Int] = [:]
        func root(_ line: Int) -> Int {
            var current = line
            while let next = parent[current], next != current { current = next }
            var walk = line
            while let next = parent[walk], next != current {
                parent[walk] = current
                walk = next
            }
            return current
        }
        for (first, second) in candidatePairs {
            if parent[first] == nil { parent[first] = first }
            if parent[second] == nil { parent[second] = second }
            let (a, b) = (root(first), root(second))
            if a != b { parent[max(a, b)] = min(a, b) }
        }
        candidatePairs = []
        var groups: [Int: [Int]] = [:]
        for line in parent.keys { groups[root(line), default: []].append(line) }
        parent = [:]
        // Then group by group, in chunks, against the stored keys: a hash collision never merges people.
        var chunk: [[Int]] = []
        var chunkRows = 0
        for members in groups.values {
            chunk.append(members)
            chunkRows += members.count
            if chunkRows >= 20_000 {
                try collapse(chunk)
                chunk.removeAll(keepingCapacity: true)
                chunkRows = 0
            }
        }
        try collapse(chunk)
    }

    private mutating func collapse(_ candidateGroups: [[Int]]) throws {
        guard !candidateGroups.isEmpty else { return }
        let stored = try database.stagedFields(importId: importId, lines: candidateGroups.flatMap { $0 })
        var merges: [StagingMerge] = []
        for candidates in candidateGroups {
            for members in Self.exactGroups(candidates.filter { stored[$0] != nil }, stored: stored) where members.count > 1 {
                let ordered = members.sorted { left, right in
                    let l = stored[left]?.fields["updated"]?.string ?? ""
                    let r = stored[right]?.fields["updated"]?.string ?? ""
                    return l == r ? left > right : l > r
                }
                guard let survivor = ordered.first, var fields = stored[survivor]?.fields else { continue }
                for other in ordered.dropFirst() {
                    for (name, value) in stored[other]?.fields ?? [:] where fields[name] == nil { fields[name] = value }
                }
                merges.append(
                    StagingMerge(
                        survivor: survivor, fields: fields, emailKey: ordered.lazy.compactMap { stored[$0]?.emailKey }.first,
                        phoneKey: ordered.lazy.compactMap { stored[$0]?.phoneKey }.first, duplicates: Array(ordered.dropFirst())))
                collapsed += ordered.count - 1
            }
        }
        try database.collapse(importId: importId, merges, mappedFields: knownMask)
        // The row hashes follow: duplicates leave, each survivor's is that of its merged record.
        var survivors: [Int: (hash: UInt64, highlevelId: Bool)] = [:]
        for merge in merges {
            let record = SyncDigest.row(fields: merge.fields, emailKey: merge.emailKey, phoneKey: merge.phoneKey, mappedFields: knownMask)
            guard record.count == SyncDigest.rowRecordSize else { continue }
            let keys = record.withUnsafeBytes { bytes in
                bytes.baseAddress.map { RowKeys(rowId: 0, sourceId: stored[merge.survivor]?.sourceId, record: $0) }
            }
            if let keys { survivors[merge.survivor] = (keys.contentHash, keys.flags.contains(.highlevelId)) }
        }
        rowHashes.merge(duplicates: Set(merges.flatMap(\.duplicates)), survivors: survivors)
    }

    /// The lines that really share a key (id, email or phone), transitively.
    private static func exactGroups(_ lines: [Int], stored: [Int: StagedKeys]) -> [[Int]] {
        var parent = Dictionary(uniqueKeysWithValues: lines.map { ($0, $0) })
        func root(_ line: Int) -> Int {
            var current = line
            while let next = parent[current], next != current { current = next }
            return current
        }
        var owner: [String: Int] = [:]
        for line in lines {
            guard let keys = stored[line] else { continue }
            for key in [keys.sourceId.map { "i:" + $0 }, keys.emailKey.map { "e:" + $0 }, keys.phoneKey.map { "p:" + $0 }].compactMap({ $0 }) {
                if let other = owner[key] {
                    let (a, b) = (root(line), root(other))
                    if a != b { parent[max(a, b)] = min(a, b) }
                } else {
                    owner[key] = line
                }
            }
        }
        var groups: [Int: [Int]] = [:]
        for line in lines { groups[root(line), default: []].append(line) }
        return Array(groups.values)
    }

    func summary(base: ImportSummary) -> ImportSummary {
        var summary = base
        summary.rowsRead = read
        summary.rowsRejected = rejected
        summary.rowsStaged = staged
        summary.rowsExcluded = excluded
        summary.duplicatesCollapsed = collapsed
        summary.warnings = warnings
        summary.rejections = rejections
        summary.unmappedColumns = unmapped
        summary.duplicateHeaders = duplicateHeaders
        summary.firstWindows1252Line = firstWindows1252Line
        summary.delimiter = delimiter
        summary.errorsFile = errors == nil ? nil : errorsURL.path
        summary.format = format
        summary.mappedFields = mappedFields
        return summary
    }
}

/// Rows of one file that may be the same person: the keys seen (LocaliQ id, email key, phone
/// key, hashed) → the first line that had them, and each later line that had one too. A pair is
/// only a candidate: `ImportRun.finish()` compares the real keys before collapsing anything.
struct DuplicateCandidates {
    private var seen = KeyTable()
    private(set) var pairs: [(Int, Int)] = []

    /// Notes the keys of a batch's rows that are staged (in line order, batch after batch).
    /// The keys are hashed first and then looked up one after another in a tight loop: at a
    /// million rows the table is tens of megabytes, nearly every probe a cache miss, and probes
    /// back to back let the processor wait on several of them at once.
    mutating func note(_ rows: [ImportedRow]) {
        var keys: [(hash: UInt64, line: Int)] = []
        keys.reserveCapacity(rows.count * 3)
        for index in rows.indices where rows[index].status == .staged || rows[index].status == .duplicate {
            let line = rows[index].line
            if let key = rows[index].sourceId { keys.append((Self.fnv1a(1, key), line)) }
            if let key = rows[index].emailKey { keys.append((Self.fnv1a(2, key), line)) }
            if let key = rows[index].phoneKey { keys.append((Self.fnv1a(3, key), line)) }
        }
        seen.reserveCapacity(seen.count + keys.count)
        for (hash, line) in keys {
            let first = seen.insertOrGet(hash, line: Int32(truncatingIfNeeded: line))
            guard first >= 0 else { continue }
            if pairs.last.map({ $0 != (Int(first), line) }) ?? true { pairs.append((Int(first), line)) }
        }
    }

    static func fnv1a(_ tag: UInt8, _ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        hash = (hash ^ UInt64(tag)) &* 0x100_0000_01b3
        var key = key
        key.withUTF8 { bytes in
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        return hash
    }
}

/// An open-addressing table of key hashes → the first line that had the key, 8 bytes a key: the
/// hash's upper 32 bits and the line share one word, so a probe touches one cache line and a
/// million-row file's three keys a row take 32 MB. A match is only a candidate (32 bits collide
/// now and then); `ImportRun.finish()` compares the real keys before collapsing anything.
struct KeyTable {
    /// `tag << 32 | line`; 0 is an empty slot (tags are never 0).
    private var entries: [UInt64]
    private(set) var count = 0

    init(capacity: Int = 1 << 16) {
        entries = [UInt64](repeating: 0, count: capacity)
    }

    /// Stores `line` for `hash` and returns -1, or returns the line stored before.
    mutating func insertOrGet(_ hash: UInt64, line: Int32) -> Int32 {
        if (count + 1) * 4 > entries.count * 3 { grow() }
        let tag = max(hash >> 32, 1)
        let mask = entries.count - 1
        var slot = Self.slot(tag, mask)
        while entries[slot] != 0 {
            if entries[slot] >> 32 == tag { return Int32(truncatingIfNeeded: entries[slot] & 0xFFFF_FFFF) }
            slot = (slot + 1) & mask
        }
        entries[slot] = tag << 32 | UInt64(UInt32(bitPattern: line))
        count += 1
        return -1
    }

    /// MurmurHash3's finaliser spreads the tag's bits before the mask takes the low ones; the
    /// slot depends on the tag alone, so `grow` can place entries again.
    private static func slot(_ tag: UInt64, _ mask: Int) -> Int {
        var h = tag
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return Int(truncatingIfNeeded: h) & mask
    }

    /// Grows the table ahead of `keys` more keys, so no insert among them has to.
    mutating func reserveCapacity(_ keys: Int) {
        while keys * 4 > entries.count * 3 { grow() }
    }

    private mutating func grow() {
        let old = entries
        entries = [UInt64](repeating: 0, count: old.count * 2)
        let mask = entries.count - 1
        for entry in old where entry != 0 {
            var slot = Self.slot(entry >> 32, mask)
            while entries[slot] != 0 { slot = (slot + 1) & mask }
            entries[slot] = entry
        }
    }
}
