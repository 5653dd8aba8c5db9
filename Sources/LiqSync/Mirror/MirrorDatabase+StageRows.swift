import Foundation
import GRDB
import GRDBSQLite

/// Writing staged rows: the staging thread's half of an import.
extension MirrorDatabase {
    /// Appends rows in one transaction. Text is bound straight from the encoded buffers.
    ///
    /// Rows go in `stagingChunk` at a time, one multi-row `INSERT` each: the per-statement work
    /// (cursors opened and closed, the statement's end) is shared by the chunk instead of paid
    /// per row. `OR FAIL`: a failing row stops the statement without a statement journal (the
    /// error rolls the whole transaction back anyway).
    ///
    /// Each staged row gets its digest record (`SyncDigest.row`) over `mappedFields` (nil: the
    /// synced fields it holds) here, on the staging thread: mapping is the import's slower half.
    ///
    /// Returns each staged row's line and content hash (`RowKeys.contentHash`), which the
    /// import keeps for the next plan (`RowHashes`).
    @discardableResult
    public func stage(_ rows: [ImportedRow], importId: Int64, mappedFields: UInt32?) throws -> RowHashes {
        try writer.write { db in
            var hashes = RowHashes()
            // The JSON columns of a chunk are written into buffers reused chunk after chunk and
            // bound without a copy (SQLITE_STATIC) once the whole chunk is written: a buffer that
            // grew would move what an earlier bind points at. Every parameter is bound or set
            // NULL for every row, so no binding of an earlier chunk is ever read; the bindings
            // are cleared before the buffers go.
            let fieldsText = TextBuffer(capacity: 1 << 15)
            let extrasText = TextBuffer(capacity: 1 << 10)
            let activityText = TextBuffer(capacity: 1 << 12)
            let rawText = TextBuffer(capacity: 1 << 15)
            // The short texts (ids, keys, findings, leads) too: bound without a copy, none is allocated by SQLite.
            let shortText = TextBuffer(capacity: 1 << 13)
            let leadText = TextBuffer(capacity: 1 << 12)
            var spans = [StagedTextSpans](repeating: StagedTextSpans(), count: Self.stagingChunk)
            var used: [OpaquePointer] = []
            defer {
                for handle in used {
                    sqlite3_reset(handle)
                    sqlite3_clear_bindings(handle)
                }
            }
            func statement(_ sql: [String], count: Int) throws -> OpaquePointer {
                let handle = try db.cachedStatement(sql: sql[count]).sqliteStatement
                sqlite3_reset(handle)
                if !used.contains(handle) { used.append(handle) }
                return handle
            }
            func span(_ buffer: TextBuffer, _ write: (inout TextBuffer) -> Void) -> Range<Int> {
                var sink = buffer
                let start = buffer.count
                write(&sink)
                return start..<buffer.count
            }
            func span(_ buffer: TextBuffer, _ text: String) -> Range<Int> {
                var text = text
                return span(buffer) { sink in text.withUTF8 { sink.append(bytes: $0) } }
            }
            func span(_ text: String?) -> Range<Int>? { text.map { span(shortText, $0) } }
            var leads: [StagedLeadSpans] = []
            leads.reserveCapacity(Self.stagingChunk)
            for start in stride(from: 0, to: rows.count, by: Self.stagingChunk) {
                // Rows are read in place (`rows[index]`), not copied out of the array one by one.
                let chunk = start..<min(start + Self.stagingChunk, rows.count)
                for buffer in [fieldsText, extrasText, activityText, rawText, shortText, leadText] { buffer.removeAll() }
                for index in chunk {
                    let offset = index - start
                    spans[offset].fields = span(fieldsText) { rows[index].fields.write(to: &$0) }
                    spans[offset].extras = rows[index].extras.isEmpty ? nil : span(extrasText) { JSON.object(rows[index].extras.mapValues(JSON.string)).write(to: &$0) }
                    spans[offset].activity = rows[index].activity.map { activity in span(activityText) { JSON.object(activity).write(to: &$0) } }
                    spans[offset].raw = span(rawText) { rows[index].raw.write(to: &$0) }
                    spans[offset].sourceId = span(rows[index].sourceId)
                    spans[offset].emailKey = span(rows[index].emailKey)
                    spans[offset].phoneKey = span(rows[index].phoneKey)
                    spans[offset].findings = rows[index].findings.isEmpty ? nil : span(Self.findingsText(rows[index].findings))
                    spans[offset].digests =
                        rows[index].status != .staged
                        ? nil
                        : span(shortText) { SyncDigest.row(fields: rows[index].fields, emailKey: rows[index].emailKey, phoneKey: rows[index].phoneKey, mappedFields: mappedFields, to: &$0) }
                    if let record = spans[offset].digests, record.count == SyncDigest.rowRecordSize {
                        let base = UnsafeRawPointer(shortText.pointer)
                        let sourceId = spans[offset].sourceId.map { UnsafeRawBufferPointer(start: base + $0.lowerBound, count: $0.count) }
                        let flags = SyncDigest.RowFlags(rawValue: UInt32(truncatingIfNeeded: Self.load64(base + record.lowerBound, at: 0) >> 32))
                        hashes.append(
                            line: rows[index].line, hash: RowKeys.contentHash(sourceId: sourceId, record: base + record.lowerBound),
                            highlevelId: flags.contains(.highlevelId))
                    }
                }
                let handle = try statement(Self.stagedRowsSQL, count: chunk.count)
                for index in chunk {
                    let offset = index - start
                    let base = Int32(offset * Self.stagedRowsColumns)
                    let rowId = importId << 32 | Int64(rows[index].line)
                    sqlite3_bind_int64(handle, base + 1, rowId)
                    sqlite3_bind_int64(handle, base + 2, importId)
                    sqlite3_bind_int64(handle, base + 3, Int64(rows[index].line))
                    RawSQL.bind(static: rows[index].status.text, at: base + 4, to: handle)
                    RawSQL.bind(unretained: shortText, spans[offset].sourceId, at: base + 5, to: handle)
                    RawSQL.bind(unretained: shortText, spans[offset].emailKey, at: base + 6, to: handle)
                    RawSQL.bind(unretained: shortText, spans[offset].phoneKey, at: base + 7, to: handle)
                    RawSQL.bind(unretained: fieldsText, spans[offset].fields, at: base + 8, to: handle)
                    RawSQL.bind(unretained: extrasText, spans[offset].extras, at: base + 9, to: handle)
                    RawSQL.bind(unretained: activityText, spans[offset].activity, at: base + 10, to: handle)
                    RawSQL.bind(unretained: rawText, spans[offset].raw, at: base + 11, to: handle)
                    RawSQL.bind(unretained: shortText, spans[offset].findings, at: base + 12, to: handle)
                    if let duplicate = rows[index].duplicateOf { sqlite3_bind_int64(handle, base + 13, Int64(duplicate)) } else { sqlite3_bind_null(handle, base + 13) }
                    RawSQL.bind(unretainedBlob: shortText, spans[offset].digests, at: base + 14, to: handle)
                    if let lead = LeadColumns(rows[index], rowId: rowId) {
                        leads.append(StagedLeadSpans(rowId: rowId, at: span(leadText, lead.at), key: span(leadText, lead.key), channel: span(leadText, lead.channel), campaign: span(leadText, lead.campaign)))
                    }
                }
                try RawSQL.execute(handle, in: db)
                guard !leads.isEmpty else { continue }
                // Leads go to their own narrow table, appended in row order like staged_rows.
                let leadHandle = try statement(Self.stagedLeadsSQL, count: leads.count)
                for (offset, lead) in leads.enumerated() {
                    let base = Int32(offset * 5)
                    sqlite3_bind_int64(leadHandle, base + 1, lead.rowId)
                    RawSQL.bind(unretained: leadText, lead.at, at: base + 2, to: leadHandle)
                    RawSQL.bind(unretained: leadText, lead.key, at: base + 3, to: leadHandle)
                    RawSQL.bind(unretained: leadText, lead.channel, at: base + 4, to: leadHandle)
                    RawSQL.bind(unretained: leadText, lead.campaign, at: base + 5, to: leadHandle)
                }
                try RawSQL.execute(leadHandle, in: db)
                leads.removeAll(keepingCapacity: true)
            }
            return hashes
        }
    }

    /// Rows per `INSERT` while staging.
    static let stagingChunk = 32
    private static let stagedRowsColumns = 14

    /// `INSERT`s of 0…`stagingChunk` rows (index = rows).
    private static let stagedRowsSQL = multiRowInsert(
        "INSERT OR FAIL INTO staged_rows (row_id, import_id, line, status, source_id, email_key, phone_key, fields, extras, activity, raw, findings, duplicate_of, sync_digests) VALUES",
        columns: stagedRowsColumns)
    private static let stagedLeadsSQL = multiRowInsert("INSERT OR FAIL INTO staged_leads (row_id, lead_at, lead_key, channel, campaign) VALUES", columns: 5)

    private static func multiRowInsert(_ head: String, columns: Int) -> [String] {
        let values = "(" + Array(repeating: "?", count: columns).joined(separator: ",") + ")"
        return (0...stagingChunk).map { count in head + " " + Array(repeating: values, count: count).joined(separator: ",") }
    }
}

/// Where a staged row's texts (JSON columns, ids and keys, findings, digest record) are in the chunk's buffers.
private struct StagedTextSpans {
    var fields = 0..<0
    var extras: Range<Int>?
    var activity: Range<Int>?
    var raw = 0..<0
    var sourceId: Range<Int>?
    var emailKey: Range<Int>?
    var phoneKey: Range<Int>?
    var findings: Range<Int>?
    var digests: Range<Int>?
}

/// Where a lead's texts are in the chunk's lead buffer.
private struct StagedLeadSpans {
    var rowId: Int64
    var at: Range<Int>
    var key: Range<Int>
    var channel: Range<Int>
    var campaign: Range<Int>
}

extension ImportedRow.Status {
    /// `rawValue` as text that lives as long as the program (bound without a copy).
    var text: StaticString {
        switch self {
        case .staged: "staged"
        case .rejected: "rejected"
        case .excluded: "excluded"
        case .duplicate: "duplicate"
        }
    }
}
