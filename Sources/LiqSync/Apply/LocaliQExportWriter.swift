import Foundation

/// Writes the LocaliQ-bound part of a plan as import files in `exports/`: contacts to create,
/// to update and to delete, each as CSV (spreadsheet-safe) and JSON, at most 10,000 rows a file.
///
/// Columns use LocaliQ's snake_case names (`docs/plan-review-apply.md`). In update files an empty
/// cell means "no change": only the fields a change writes are filled.
public struct LocaliQExportWriter: Sendable {
    public static let columns = [
        "id", "highlevel_id", "first_name", "last_name", "email", "phone", "company", "address1", "city", "state", "postal", "country", "website",
        "source", "tags",
    ]
    /// Canonical field → export column where they differ.
    static let columnOfField = ["postal_code": "postal"]
    public static let rowsPerFile = 10_000

    public let folder: URL
    /// File names start with this (the plan file's name without extension).
    public let stem: String

    public init(folder: URL, stem: String) {
        self.folder = folder
        self.stem = stem
    }

    /// Writes the files for these changes; returns their paths. Nothing is written when there are none.
    public func write(_ changes: [Change]) throws -> [URL] {
        var written: [URL] = []
        for op in [ChangeOperation.create, .update, .delete] {
            let rows = changes.filter { $0.target == .localiq && $0.entity == .contact && $0.op == op }.map(row)
            guard !rows.isEmpty else { continue }
            for (part, start) in stride(from: 0, to: rows.count, by: Self.rowsPerFile).enumerated() {
                let slice = Array(rows[start..<min(start + Self.rowsPerFile, rows.count)])
                let number = String(part + 1)
                let base = folder.appendingPathComponent("\(stem)-contacts-\(op.rawValue)-\(String(repeating: "0", count: max(0, 3 - number.count)))\(number)")
                written += try writeFiles(slice, base: base, columns: Self.columns, wrapper: "contacts")
            }
        }
        let notes = changes.filter { $0.target == .localiq && $0.entity == .note && $0.op == .create }.map { change -> [String: String] in
            var row = ["contact_id": change.key.localiqId ?? "", "highlevel_id": change.key.highlevelId ?? ""]
            for key in ["note_id", "created_at", "title", "body"] { row[key] = change.after[key]?.string ?? "" }
            return row
        }
        for (part, start) in stride(from: 0, to: notes.count, by: Self.rowsPerFile).enumerated() {
            let slice = Array(notes[start..<min(start + Self.rowsPerFile, notes.count)])
            let number = String(part + 1)
            let base = folder.appendingPathComponent("\(stem)-notes-create-\(String(repeating: "0", count: max(0, 3 - number.count)))\(number)")
            written += try writeFiles(slice, base: base, columns: Self.noteColumns, wrapper: "notes")
        }
        return written
    }

    /// Columns of the notes file: one HighLevel note per row, with its original time.
    public static let noteColumns = ["contact_id", "highlevel_id", "note_id", "created_at", "title", "body"]

    private func writeFiles(_ rows: [[String: String]], base: URL, columns: [String], wrapper: String) throws -> [URL] {
        let csvURL = base.appendingPathExtension("csv")
        let csv = try CSVWriter(url: csvURL, header: columns, formulaGuard: .prefixApostrophe)
        for row in rows { try csv.write(columns.map { row[$0] ?? "" }) }
        try csv.close()
        let jsonURL = base.appendingPathExtension("json")
        let objects = rows.map { row in
            JSON.object(
                Dictionary(
                    uniqueKeysWithValues: row.filter { !$0.value.isEmpty }.map { key, value in
                        (key, key == "tags" ? JSON.array(TagList.parse(value).map(JSON.string)) : JSON.string(value))
                    }))
        }
        try AtomicFile.write(Data(JSON.object([wrapper: .array(objects)]).canonicalText.utf8), to: jsonURL)
        return [csvURL, jsonURL]
    }

    /// One change as export cells: the ids, then the written values (resolved conflicts included).
    func row(_ change: Change) -> [String: String] {
        var row: [String: String] = [:]
        row["id"] = change.key.localiqId ?? ""
        row["highlevel_id"] = change.key.highlevelId ?? ""
        var values = change.after
        if let resolution = change.decision?.resolution { values.merge(resolution) { _, resolved in resolved } }
        for (field, value) in values {
            let column = Self.columnOfField[field] ?? field
            guard Self.columns.contains(column) else { continue }
            switch value {
            case .string(let text): row[column] = text
            case .array(let items): row[column] = items.compactMap(\.string).joined(separator: ", ")
            case .null: row[column] = ""
            default: row[column] = JSONCell.text(value)
            }
        }
        return row
    }
}
