import Foundation

#if canImport(Glibc)
    import Glibc
#endif

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

    private let descriptor: Int32
    private let path: String
    private var buffer: [UInt8]
    private var position = 0
    private var available = 0
    private var atEOF = false
    private var closed = false
    private var line = 1
    public private(set) var bytesRead: Int64 = 0

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
        path = url.path
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else { throw ImportError.unreadable(url.path, String(cString: strerror(errno))) }
        self.descriptor = descriptor
        buffer = [UInt8](repeating: 0, count: max(chunkSize, 4096))
        try fill()
        if available >= 2, (buffer[0] == 0xFF && buffer[1] == 0xFE) || (buffer[0] == 0xFE && buffer[1] == 0xFF) {
            close()
            throw ImportError.unsupportedEncoding(url.path, "UTF-16")
        }
        if available >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { position = 3 }
    }

    public mutating func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(descriptor)
    }

    private mutating func fill() throws {
        guard !atEOF else { return }
        let count = buffer.withUnsafeMutableBytes { raw in read(descriptor, raw.baseAddress, raw.count) }
        if count < 0 { throw ImportError.unreadable(path, String(cString: strerror(errno))) }
        if count == 0 { atEOF = true }
        available = count
        position = 0
        bytesRead += Int64(count)
    }

    /// The next byte, or nil at the end of the file.
    private mutating func peek() throws -> UInt8? {
        if position >= available {
            try fill()
            if atEOF { return nil }
        }
        return buffer[position]
    }

    private mutating func advance() {
        if buffer[position] == 0x0A { line += 1 }
        position += 1
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
        .malformedJSON(path, "line \(line): \(detail)")
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
            throw ImportError.malformedJSON(path, "the record starting on line \(line) is not valid JSON")
        }
    }
}
