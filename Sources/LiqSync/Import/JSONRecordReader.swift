import Foundation

/// Streams records out of a JSON export without loading the file: a top-level array of objects,
/// JSON Lines (one object per line), or LocaliQ API pages (`{"contacts": […], "page": 1, …}`,
/// `{"contact_interactions": […]}`), including a file of several such pages. Each record's bytes
/// are cut out by a small scanner and only that record is parsed, so memory stays flat.
public struct JSONRecordReader {
    /// Keys whose array value holds the records of a wrapper page.
    public static let wrapperKeys: Set<String> = ["contacts", "contact_interactions", "data", "results", "items", "records"]

    /// One record: its parsed value and the line it starts on.
    public struct Record: Sendable {
        public var line: Int
        public var value: JSON
    }

    private var input: ChunkedFile
    private var line = 1
    /// Bytes consumed so far (for progress).
    public var bytesRead: Int64 { input.bytesRead }

    /// Where the scanner is between records.
    private enum Context {
        /// Between top-level values.
        case top
        /// Inside a top-level array, or a wrapper's record array: the next value is a record.
        case recordArray(wrapped: Bool)
        /// Inside a top-level object after its record array: skipping the remaining keys.
        case wrapperTail
    }
    private var context = Context.top

    public init(url: URL, chunkSize: Int = 1 << 18) throws {
        input = try ChunkedFile(url: url, chunkSize: chunkSize)
    }

    public mutating func close() {
        input.close()
    }

    /// The next byte, or nil at the end of the file.
    private mutating func peek() throws -> UInt8? {
        if input.position >= input.available {
            try input.fill()
            if input.atEOF { return nil }
        }
        return input.buffer[input.position]
    }

    private mutating func advance() {
        if input.buffer[input.position] == 0x0A { line += 1 }
        input.position += 1
    }

    /// Skips white space, and commas when `commas` is set.
    private mutating func skipSpace(commas: Bool) throws -> UInt8? {
        while let byte = try peek() {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || (commas && byte == 0x2C) {
                advance()
            } else {
                return byte
            }
        }
        return nil
    }

    private func malformed(_ detail: String) -> ImportError {
        .malformedJSON(input.path, "line \(line): \(detail)")
    }

    /// The next record, or nil at the end of the file.
    public mutating func next() throws -> Record? {
        while true {
            switch context {
            case .top:
                guard let byte = try skipSpace(commas: false) else {
                    close()
                    return nil
                }
                if byte == 0x5B {
                    advance()
                    context = .recordArray(wrapped: false)
                } else if byte == 0x7B {
                    if let record = try topLevelObject() { return record }
                } else {
                    throw malformed("expected an object or an array, found '\(Character(Unicode.Scalar(byte)))'")
                }
            case .recordArray(let wrapped):
                guard let byte = try skipSpace(commas: true) else { throw malformed("the file ends inside an array") }
                if byte == 0x5D {
                    advance()
                    context = wrapped ? .wrapperTail : .top
                    continue
                }
                let start = line
                var bytes: [UInt8] = []
                try captureValue(into: &bytes)
                return Record(line: start, value: try parse(bytes, line: start))
            case .wrapperTail:
                // Skip the other members of the page object (`page`, `total_pages`, …).
                guard let byte = try skipSpace(commas: true) else { throw malformed("the file ends inside an object") }
                if byte == 0x7D {
                    advance()
                    context = .top
                    continue
                }
                var ignored: [UInt8] = []
                try captureValue(into: &ignored)
                guard try skipSpace(commas: false) == 0x3A else { throw malformed("expected ':' after a key") }
                advance()
                ignored.removeAll()
                try captureValue(into: &ignored)
            }
        }
    }

    /// Reads a top-level object member by member. When a wrapper key holds an array, the object
    /// is a page: its records are streamed from there. Otherwise the whole object is one record.
    private mutating func topLevelObject() throws -> Record? {
        let start = line
        var bytes: [UInt8] = [0x7B]
        advance()
        var first = true
        while true {
            guard var byte = try skipSpace(commas: false) else { throw malformed("the file ends inside an object") }
            if byte == 0x7D {
                advance()
                bytes.append(0x7D)
                return Record(line: start, value: try parse(bytes, line: start))
            }
            if !first {
                guard byte == 0x2C else { throw malformed("expected ',' or '}' in an object") }
                advance()
                bytes.append(0x2C)
                guard let next = try skipSpace(commas: false) else { throw malformed("the file ends inside an object") }
                byte = next
            }
            first = false
            guard byte == 0x22 else { throw malformed("expected a key in quotes") }
            var key: [UInt8] = []
            try captureValue(into: &key)
            guard try skipSpace(commas: false) == 0x3A else { throw malformed("expected ':' after a key") }
            advance()
            let keyText = (try? JSONSerialization.jsonObject(with: Data(key), options: [.fragmentsAllowed])) as? String ?? ""
            if Self.wrapperKeys.contains(keyText), try skipSpace(commas: false) == 0x5B {
                advance()
                context = .recordArray(wrapped: true)
                return nil
            }
            bytes.append(contentsOf: key)
            bytes.append(0x3A)
            try captureValue(into: &bytes)
        }
    }

    /// Appends the bytes of one JSON value (string, number, literal, object or array).
    private mutating func captureValue(into bytes: inout [UInt8]) throws {
        guard let first = try skipSpace(commas: false) else { throw malformed("the file ends where a value should be") }
        var depth = 0
        var inString = false
        var escaped = false
        if first != 0x7B && first != 0x5B && first != 0x22 {
            // A number or a literal: up to the next delimiter.
            while let byte = try peek(), ![0x2C, 0x7D, 0x5D, 0x20, 0x0A, 0x0D, 0x09].contains(byte) {
                bytes.append(byte)
                advance()
            }
            return
        }
        while let byte = try peek() {
            bytes.append(byte)
            advance()
            if inString {
                if escaped {
                    escaped = false
                } else if byte == 0x5C {
                    escaped = true
                } else if byte == 0x22 {
                    inString = false
                    if depth == 0 { return }
                }
            } else if byte == 0x22 {
                inString = true
            } else if byte == 0x7B || byte == 0x5B {
                depth += 1
            } else if byte == 0x7D || byte == 0x5D {
                depth -= 1
                if depth == 0 { return }
            }
        }
        throw malformed("the file ends inside a value")
    }

    private func parse(_ bytes: [UInt8], line: Int) throws -> JSON {
        do {
            return try JSON.parse(Data(bytes))
        } catch {
            throw ImportError.malformedJSON(input.path, "the record starting on line \(line) is not valid JSON")
        }
    }
}
