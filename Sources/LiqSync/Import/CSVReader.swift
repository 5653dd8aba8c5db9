import Foundation

/// One CSV record as read: its cells' bytes, the line it starts on, and what was odd about it.
/// The buffers are reused by the reader; copy what must outlive the next `next()` call.
public struct CSVRecord: Sendable {
    /// The physical line (1-based) the record starts on.
    public internal(set) var line = 0
    /// The physical line the record ends on (greater than `line` when a quoted cell spans lines).
    public internal(set) var endLine = 0
    var bytes: [UInt8] = []
    var ends: [Int] = []
    /// NUL bytes were found and removed.
    public internal(set) var hadNUL = false
    /// The first cell (0-based) that was longer than the reader's limit; its text is cut there.
    public internal(set) var oversizedCell: Int?
    /// A cell was not UTF-8 and was decoded as Windows-1252 (set when the cell is read).
    public private(set) var usedWindows1252 = false
    /// Set by `cells()`: bit `i` for a cell `i` (of the first 64) whose first byte is not white
    /// space, so it is not blank — known without looking at its `String`.
    private(set) var startsWithText: UInt64 = 0

    public var count: Int { ends.count }

    /// Cell `index` is not blank for certain (after `cells()`); false means: look at the text.
    @inline(__always)
    func startsWithText(_ index: Int) -> Bool { index < 64 && startsWithText & (1 << UInt64(index)) != 0 }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        line = 0
        endLine = 0
        hadNUL = false
        oversizedCell = nil
        usedWindows1252 = false
    }

    /// The raw bytes of cell `index` (empty past the end of the record).
    public func cellBytes(_ index: Int) -> ArraySlice<UInt8> {
        guard index < ends.count else { return [] }
        let start = index == 0 ? 0 : ends[index - 1]
        return bytes[start..<ends[index]]
    }

    /// Whether cell `index` is empty or missing, without decoding it.
    public func isEmpty(_ index: Int) -> Bool {
        guard index < ends.count else { return true }
        return (index == 0 ? 0 : ends[index - 1]) == ends[index]
    }

    /// Cell `index` as text: UTF-8 when the bytes are UTF-8, Windows-1252 otherwise.
    public mutating func cell(_ index: Int) -> String {
        let slice = cellBytes(index)
        if let text = slice.withUnsafeBufferPointer(TextDecoding.utf8) { return text }
        usedWindows1252 = true
        return TextDecoding.windows1252(slice)
    }

    /// The cells as a JSON array of strings, written straight from the record's bytes: the same
    /// text as `JSON.array(cells().map(JSON.string))`, without a string per cell.
    public func cellsJSON() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 3 * ends.count + 2)
        bytes.withUnsafeBufferPointer { bytes in Self.writeCellsJSON(bytes: bytes, cellCount: ends.count, end: { ends[$0] }, to: &output) }
        return output
    }

    /// The record's bytes and cell ends packed in one array, for `RawRecord.csv` (the JSON is
    /// written later, on the staging thread).
    func packed() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count + 4 * ends.count) { output, initialized in
            var position = bytes.withUnsafeBufferPointer { bytes in
                _ = UnsafeMutableBufferPointer(rebasing: output[0..<bytes.count]).initialize(from: bytes)
                return bytes.count
            }
            for end in ends {
                let value = UInt32(truncatingIfNeeded: end)
                for shift in stride(from: 0, to: 32, by: 8) {
                    output[position] = UInt8(truncatingIfNeeded: value >> UInt32(shift))
                    position += 1
                }
            }
            initialized = position
        }
    }

    /// The JSON array of cells `0..<cellCount` of `bytes`, cell `i` ending at `end(i)`.
    static func writeCellsJSON<Sink: ByteSink>(bytes: UnsafeBufferPointer<UInt8>, cellCount: Int, end: (Int) -> Int, to output: inout Sink) {
        output.append(UInt8(ascii: "["))
        // Nearly always the whole record is plain ASCII with nothing to escape: then each cell
        // is copied whole between quotes.
        let plain = !JSON.scan(bytes, alsoNonASCII: true)
        var start = 0
        for index in 0..<cellCount {
            let stop = end(index)
            if index > 0 { output.append(UInt8(ascii: ",")) }
            let cell = UnsafeBufferPointer(rebasing: bytes[start..<stop])
            if plain {
                output.append(UInt8(ascii: "\""))
                output.append(bytes: cell)
                output.append(UInt8(ascii: "\""))
            } else if !cell.contains(where: { $0 >= 0x80 }) || String(validating: cell, as: UTF8.self) != nil {
                // UTF-8 is written as it is; other bytes as the Windows-1252 text `cell(_:)` reads.
                JSON.writeString(utf8: cell, to: &output)
            } else {
                JSON.writeString(TextDecoding.windows1252(ArraySlice(cell)), to: &output)
            }
            start = stop
        }
        output.append(UInt8(ascii: "]"))
    }

    /// Every cell as text.
    public mutating func cells() -> [String] {
        var cells: [String] = []
        cells.reserveCapacity(ends.count)
        var start = 0
        var windows1252 = false
        var startsWithText: UInt64 = 0
        bytes.withUnsafeBufferPointer { buffer in
            for (index, end) in ends.enumerated() {
                if index < 64, end > start, !String.isSpaceByte(buffer[start]) { startsWithText |= 1 << UInt64(index) }
                if let text = TextDecoding.utf8(UnsafeBufferPointer(rebasing: buffer[start..<end])) {
                    cells.append(text)
                } else {
                    windows1252 = true
                    cells.append(TextDecoding.windows1252(bytes[start..<end]))
                }
                start = end
            }
        }
        if windows1252 { usedWindows1252 = true }
        self.startsWithText = startsWithText
        return cells
    }
}

/// A streaming, byte-level CSV reader: RFC 4180 plus what real exports contain — a UTF-8 BOM,
/// CRLF, LF or CR line ends, quoted newlines, doubled quotes, `,` `;` tab or `|` delimiters
/// (sniffed from the header line), NUL bytes, blank lines. Reads the file in fixed-size chunks, so
/// memory stays flat whatever its size; a cell longer than `maxCellBytes` is cut and reported.
public struct CSVReader {
    public let delimiter: UInt8
    /// The file started with a UTF-8 byte-order mark (skipped).
    public var hadBOM: Bool { input.hadBOM }
    /// Bytes consumed so far (for progress).
    public var bytesRead: Int64 { input.bytesRead }

    private var input: ChunkedFile
    private let maxCellBytes: Int
    private var line = 1
    private var skipLineFeed = false
    private var record = CSVRecord()

    /// Opens `url`. `delimiter` nil sniffs it from the header line.
    public init(url: URL, delimiter: UInt8? = nil, maxCellBytes: Int = 1 << 20, chunkSize: Int = 1 << 18) throws {
        input = try ChunkedFile(url: url, chunkSize: chunkSize)
        self.maxCellBytes = maxCellBytes
        self.delimiter = delimiter ?? Self.sniffDelimiter(input.buffer[input.position..<input.available])
    }

    /// Closes the file (also done at the end of input).
    public mutating func close() {
        input.close()
    }

    /// The delimiter of the first line: the most frequent of `,` `;` tab `|` outside quotes
    /// (a comma when none occurs).
    static func sniffDelimiter(_ bytes: ArraySlice<UInt8>) -> UInt8 {
        var counts: [UInt8: Int] = [0x2C: 0, 0x3B: 0, 0x09: 0, 0x7C: 0]
        var quoted = false
        for byte in bytes {
            if byte == 0x22 {
                quoted.toggle()
            } else if !quoted {
                if byte == 0x0A || byte == 0x0D { break }
                if counts[byte] != nil { counts[byte, default: 0] += 1 }
            }
        }
        let order: [UInt8] = [0x2C, 0x3B, 0x09, 0x7C]
        var best: UInt8 = 0x2C
        for candidate in order where counts[candidate, default: 0] > counts[best, default: 0] { best = candidate }
        return best
    }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// The next record, or nil at the end of the file. Blank lines are skipped. Throws
    /// `ImportError.unclosedQuote` naming the line where a quote opened and never closed.
    public mutating func next() throws -> CSVRecord? {
        record.reset()
        var state = State.fieldStart
        var cellStart = 0
        var quoteLine = 0
        var started = false
        let delimiter = self.delimiter
        let limit = maxCellBytes

        while true {
            if input.position >= input.available {
                try input.fill()
                if input.atEOF {
                    close()
                    if state == .quoted { throw ImportError.unclosedQuote(input.path, quoteLine) }
                    guard started else { return nil }
                    record.ends.append(record.bytes.count)
                    record.endLine = line
                    return record
                }
            }
            // The hot loop works on local copies; they are written back before leaving it.
            var index = input.position
            let end = input.available
            var finished = false
            let chunk = input.buffer
            chunk.withUnsafeBufferPointer { input in
                while index < end {
                    let byte = input[index]
                    index += 1
                    if skipLineFeed {
                        skipLineFeed = false
                        if byte == 0x0A { continue }
                    }
                    if !started {
                        if byte == 0x0A || byte == 0x0D {
                            // A blank line between records.
                            line += 1
                            skipLineFeed = byte == 0x0D
                            continue
                        }
                        started = true
                        record.line = line
                    }
                    switch state {
                    case .quoted:
                        if byte == 0x22 {
                            state = .quoteInQuoted
                        } else if byte != 0x0A && byte != 0x0D && byte != 0 {
                            // Text up to the next quote, line end or NUL, copied at once.
                            let run = Self.run(in: input, from: index - 1, to: end) { $0 == 0x22 || $0 == 0x0A || $0 == 0x0D || $0 == 0 }
                            append(run, cellStart: cellStart, limit: limit)
                            index = run.endIndex
                        } else {
                            if byte == 0x0A {
                                line += 1
                            } else if byte == 0x0D {
                                line += 1
                                // CRLF inside quotes is one line end; the LF is kept as text.
                                if index < end, input[index] == 0x0A {
                                    append(byte, cellStart: cellStart, limit: limit)
                                    append(0x0A, cellStart: cellStart, limit: limit)
                                    index += 1
                                    continue
                                }
                            }
                            append(byte, cellStart: cellStart, limit: limit)
                        }
                    case .quoteInQuoted:
                        if byte == 0x22 {
                            append(0x22, cellStart: cellStart, limit: limit)
                            state = .quoted
                            continue
                        }
                        // After a closing quote the cell goes on as unquoted text (`"abc"def` keeps
                        // `def`, leniently); a delimiter or line end is handled as there.
                        state = .unquoted
                        fallthrough
                    case .fieldStart, .unquoted:
                        if byte == delimiter {
                            record.ends.append(record.bytes.count)
                            cellStart = record.bytes.count
                            state = .fieldStart
                        } else if byte == 0x0A || byte == 0x0D {
                            record.ends.append(record.bytes.count)
                            record.endLine = line
                            line += 1
                            skipLineFeed = byte == 0x0D
                            finished = true
                            return
                        } else if byte == 0x22 && state == .fieldStart {
                            state = .quoted
                            quoteLine = line
                        } else if byte == 0 {
                            state = .unquoted
                            record.hadNUL = true
                        } else {
                            state = .unquoted
                            // Text up to the next delimiter, line end or NUL (a quote inside an
                            // unquoted cell is text), copied at once.
                            let run = Self.run(in: input, from: index - 1, to: end) { $0 == delimiter || $0 == 0x0A || $0 == 0x0D || $0 == 0 }
                            append(run, cellStart: cellStart, limit: limit)
                            index = run.endIndex
                        }
                    }
                }
            }
            input.position = index
            if finished { return record }
        }
    }

    /// The bytes from `start` up to the first that `stops` (or `end`).
    @inline(__always)
    private static func run(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, stops: (UInt8) -> Bool) -> Slice<UnsafeBufferPointer<UInt8>> {
        var index = start
        while index < end, !stops(bytes[index]) { index += 1 }
        return bytes[start..<index]
    }

    /// Appends a run of text bytes (no NUL) to the cell, up to the cell limit.
    @inline(__always)
    private mutating func append(_ run: Slice<UnsafeBufferPointer<UInt8>>, cellStart: Int, limit: Int) {
        let room = max(limit - (record.bytes.count - cellStart), 0)
        if run.count > room, record.oversizedCell == nil { record.oversizedCell = record.ends.count }
        record.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: run.prefix(room)))
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8, cellStart: Int, limit: Int) {
        if byte == 0 {
            record.hadNUL = true
            return
        }
        if record.bytes.count - cellStart >= limit {
            if record.oversizedCell == nil { record.oversizedCell = record.ends.count }
            return
        }
        record.bytes.append(byte)
    }
}

/// Turning cell bytes into text.
enum TextDecoding {
    /// The text when the bytes are valid UTF-8, else nil. ASCII (nearly every cell) needs no
    /// check beyond one scan; other bytes go through the standard library's slower, generic one.
    @inline(__always)
    static func utf8(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Windows-1252 as the WHATWG Encoding Standard maps it (the five unassigned bytes become the
    /// C1 controls of the same value).
    static func windows1252(_ bytes: ArraySlice<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            if byte >= 0x80 && byte < 0xA0 {
                scalars.append(Unicode.Scalar(windows1252High[Int(byte - 0x80)]) ?? "\u{FFFD}")
            } else {
                scalars.append(Unicode.Scalar(byte))
            }
        }
        return String(scalars)
    }

    private static let windows1252High: [UInt32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]
}
