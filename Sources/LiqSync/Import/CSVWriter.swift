import Foundation

/// Writes RFC 4180 CSV (CRLF, UTF-8 without BOM) to a file, buffered. A cell is quoted when it
/// holds the delimiter, a quote, CR or LF, or leading/trailing spaces.
public final class CSVWriter {
    /// How cells that a spreadsheet would run as a formula are written.
    public enum FormulaGuard: Sendable {
        /// As they are (files for machines, such as HighLevel import files).
        case none
        /// Prefixed with `'` when they start with `=` `+` `-` `@`, tab or CR (OWASP ASVS 1.2.10):
        /// for files people open in a spreadsheet.
        case prefixApostrophe
    }

    public let url: URL
    private let handle: FileHandle
    private let delimiter: UInt8
    private let formulaGuard: FormulaGuard
    private var pending: [UInt8] = []
    public private(set) var rowsWritten = 0

    /// Creates (truncating) `url` and writes the header row.
    public init(url: URL, header: [String], delimiter: UInt8 = 0x2C, formulaGuard: FormulaGuard = .none) throws {
        self.url = url
        self.delimiter = delimiter
        self.formulaGuard = formulaGuard
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw ImportError.unreadable(url.path, "the file cannot be created")
        }
        handle = try FileHandle(forWritingTo: url)
        pending.reserveCapacity(1 << 16)
        append(header)
    }

    deinit {
        try? handle.close()
    }

    /// Appends one row.
    public func write(_ cells: [String]) throws {
        append(cells)
        rowsWritten += 1
        if pending.count >= 1 << 16 { try flush() }
    }

    /// Writes what is buffered and closes the file.
    public func close() throws {
        try flush()
        try handle.close()
    }

    private func flush() throws {
        guard !pending.isEmpty else { return }
        try handle.write(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
    }

    private func append(_ cells: [String]) {
        for (index, cell) in cells.enumerated() {
            if index > 0 { pending.append(delimiter) }
            Self.encode(cell, delimiter: delimiter, formulaGuard: formulaGuard, into: &pending)
        }
        pending.append(0x0D)
        pending.append(0x0A)
    }

    /// One cell as CSV text (quoted when needed).
    public static func field(_ cell: String, delimiter: UInt8 = 0x2C, formulaGuard: FormulaGuard = .none) -> String {
        var bytes: [UInt8] = []
        encode(cell, delimiter: delimiter, formulaGuard: formulaGuard, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func encode(_ cell: String, delimiter: UInt8, formulaGuard: FormulaGuard, into output: inout [UInt8]) {
        let utf8 = cell.utf8
        var needsQuotes = false
        for byte in utf8 where byte == delimiter || byte == 0x22 || byte == 0x0A || byte == 0x0D {
            needsQuotes = true
            break
        }
        if let first = utf8.first, let last = utf8.last, first == 0x20 || last == 0x20 { needsQuotes = true }
        var prefix = false
        if formulaGuard == .prefixApostrophe, let first = utf8.first, [0x3D, 0x2B, 0x2D, 0x40, 0x09, 0x0D].contains(first) {
            // A signed number or phone (`+13125550101`, `-5`, `+1 (312) 555-0101`) cannot call
            // anything; it is left as it is so phones stay usable.
            let numeric = (first == 0x2B || first == 0x2D) && utf8.count > 1
                && utf8.dropFirst().allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || [0x20, 0x2E, 0x2D, 0x28, 0x29].contains($0) }
            prefix = !numeric
        }
        if needsQuotes { output.append(0x22) }
        if prefix { output.append(0x27) }
        for byte in utf8 {
            if byte == 0x22 { output.append(0x22) }
            output.append(byte)
        }
        if needsQuotes { output.append(0x22) }
    }
}
