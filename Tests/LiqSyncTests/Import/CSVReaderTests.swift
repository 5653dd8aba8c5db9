import Foundation
import LiqSync
import PropertyBased
import Testing

@Suite("CSV reader and writer")
struct CSVReaderTests {
    private func records(_ bytes: [UInt8], chunkSize: Int = 4096) throws -> [[String]] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var reader = try CSVReader(url: url, chunkSize: chunkSize)
        var result: [[String]] = []
        while var record = try reader.next() { result.append(record.cells()) }
        return result
    }

    private func records(_ text: String) throws -> [[String]] { try records(Array(text.utf8)) }

    @Test("RFC 4180: quotes, doubled quotes, quoted delimiters and newlines")
    func rfc4180() throws {
        #expect(try records("a,b\r\n\"x,1\",\"say \"\"hi\"\"\"\r\n\"multi\r\nline\",\r\n") == [["a", "b"], ["x,1", "say \"hi\""], ["multi\r\nline", ""]])
    }

    @Test("text after a closing quote is kept, and a delimiter or line end after it ends the cell")
    func textAfterClosingQuote() throws {
        #expect(try records("\"abc\"def,x\n\"q\",\"r\"\r\n\"s\"\n") == [["abcdef", "x"], ["q", "r"], ["s"]])
    }

    @Test("LF, CR and CRLF line ends; blank lines skipped; no final newline")
    func lineEnds() throws {
        #expect(try records("a,b\nc,d\re,f\r\n\r\ng,h") == [["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]])
    }

    @Test("delimiters are sniffed from the header line", arguments: [(";", 0x3B), ("\t", 0x09), ("|", 0x7C), (",", 0x2C)] as [(String, UInt8)])
    func delimiters(symbol: String, byte: UInt8) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv")
        try Data("\"a\(symbol)x\"\(symbol)b\(symbol)c\n1\(symbol)2\(symbol)3\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var reader = try CSVReader(url: url)
        #expect(reader.delimiter == byte)
        var header = try #require(try reader.next())
        #expect(header.cells() == ["a\(symbol)x", "b", "c"])
    }

    @Test("a UTF-8 BOM is skipped; UTF-16 is refused with a sentence")
    func byteOrderMarks() throws {
        #expect(try records([0xEF, 0xBB, 0xBF] + Array("Contact Id,Email\n1,a@example.com\n".utf8)) == [["Contact Id", "Email"], ["1", "a@example.com"]])
        #expect(throws: ImportError.self) { try records([0xFF, 0xFE, 0x61, 0x00]) }
    }

    @Test("bytes that are not UTF-8 are read as Windows-1252")
    func windows1252() throws {
        #expect(try records([0x43, 0x61, 0x66, 0xE9, 0x2C, 0x93, 0x71, 0x94, 0x0A]) == [["Café", "“q”"]])
    }

    @Test("an unclosed quote names the line it opened on")
    func unclosedQuote() throws {
        #expect(throws: ImportError.unclosedQuote("", 3)) {
            do {
                _ = try records("a,b\n1,2\n3,\"open\nmore\n")
            } catch ImportError.unclosedQuote(_, let line) {
                throw ImportError.unclosedQuote("", line)
            }
        }
    }

    @Test("records that span buffer refills are read whole", arguments: [4096, 4099])
    func chunkBoundaries(chunk: Int) throws {
        let long = String(repeating: "x", count: 5000)
        let text = "a,b\r\n\"\(long)\"\"y\",\"z\r\n\"\r\n1,2\r\n"
        #expect(try records(Array(text.utf8), chunkSize: chunk) == [["a", "b"], [long + "\"y", "z\r\n"], ["1", "2"]])
    }

    @Test("NUL bytes are removed and reported; an oversized cell is cut and reported")
    func nulAndOversized() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv")
        try Data(Array("a,b\n".utf8) + [0x78, 0x00, 0x79] + Array(",\(String(repeating: "z", count: 100))\n".utf8)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var reader = try CSVReader(url: url, maxCellBytes: 10)
        _ = try reader.next()
        var record = try #require(try reader.next())
        #expect(record.hadNUL)
        #expect(record.oversizedCell == 1)
        #expect(record.cells() == ["xy", String(repeating: "z", count: 10)])
    }

    @Test("a cell is cut at the limit however its bytes arrive: quoted or not, across buffer refills", arguments: [4096, 4099])
    func cellLimitAcrossRefills(chunk: Int) throws {
        let exact = String(repeating: "e", count: 5000)
        let long = String(repeating: "u", count: 3000) + "\"" + String(repeating: "v", count: 3000)
        let quoted = "q\"\"" + String(repeating: "w", count: 2998) + "\n" + String(repeating: "x", count: 3000)
        let text = "a,b\n\(exact),1\n\(long),2\n\"\(quoted)\",3\n"
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var reader = try CSVReader(url: url, maxCellBytes: 5000, chunkSize: chunk)
        _ = try reader.next()
        var record = try #require(try reader.next())
        #expect(record.oversizedCell == nil, "a cell of exactly the limit is whole")
        #expect(record.cells() == [exact, "1"])
        record = try #require(try reader.next())
        #expect(record.oversizedCell == 0)
        #expect(record.cells() == [String(long.prefix(5000)), "2"])
        record = try #require(try reader.next())
        #expect(record.oversizedCell == 0)
        let unquoted = "q\"" + String(repeating: "w", count: 2998) + "\n" + String(repeating: "x", count: 3000)
        #expect(record.cells() == [String(unquoted.prefix(5000)), "3"])
        #expect(record.line == 4 && record.endLine == 5)
    }

    @Test("the writer quotes what needs quoting and guards formulas in files for people")
    func writer() {
        #expect(CSVWriter.field("plain") == "plain")
        #expect(CSVWriter.field("a,b") == "\"a,b\"")
        #expect(CSVWriter.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.field(" padded") == "\" padded\"")
        #expect(CSVWriter.field("=SUM(A1)", formulaGuard: .prefixApostrophe) == "'=SUM(A1)")
        #expect(CSVWriter.field("+15550100", formulaGuard: .none) == "+15550100")
        #expect(CSVWriter.field("@cmd", formulaGuard: .prefixApostrophe) == "'@cmd")
        #expect(CSVWriter.field("+13125550101", formulaGuard: .prefixApostrophe) == "+13125550101")
        #expect(CSVWriter.field("-2+3", formulaGuard: .prefixApostrophe) == "'-2+3")
        #expect(CSVWriter.field("+cmd|' /C calc'!A0", formulaGuard: .prefixApostrophe).hasPrefix("'+"))
    }

    /// Cells drawn from an alphabet heavy in the characters CSV must escape.
    static let cellAlphabet: [Character] = ["a", "Z", "0", " ", ",", ";", "\t", "|", "\"", "\n", "\r", "é", "€", "🙂", "ß", "'", "="]

    @Test("a record's cells as JSON, written from its bytes, are the JSON of its cells as text")
    func cellsJSON() async {
        // Bytes heavy in what JSON escapes, with UTF-8 and stray Windows-1252 bytes.
        let pieces: [[UInt8]] = [[0x61], [0x22, 0x22], [0x5C], [0x09], [0x01], [0x1F], [0x7F], Array("é".utf8), Array("🙂".utf8), [0xE9], [0x93], [0x80], [0x0A], [0x2C]]
        let cell = Gen<Int>.int(in: 0...(pieces.count - 1)).array(of: 0...6)
        await propertyCheck(count: 300, input: cell.array(of: 1...4)) { cells in
            // Each cell quoted, so delimiters and line ends are text.
            var line: [UInt8] = []
            for (index, parts) in cells.enumerated() {
                if index > 0 { line.append(0x2C) }
                line.append(0x22)
                for part in parts { line += pieces[part] }
                line.append(0x22)
            }
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("json-\(UUID().uuidString).csv")
            defer { try? FileManager.default.removeItem(at: url) }
            do {
                try Data(line + [0x0A]).write(to: url)
                var reader = try CSVReader(url: url, delimiter: 0x2C)
                guard var record = try reader.next() else {
                    Issue.record("no record")
                    return
                }
                let expected = JSON.array(record.cells().map(JSON.string)).canonicalText
                #expect(String(decoding: record.cellsJSON(), as: UTF8.self) == expected)
            } catch {
                Issue.record("reading failed: \(error)")
            }
        }
    }

    @Test("any table written by the writer reads back the same")
    func roundTrip() async {
        let cell = Gen<Character?>.element(of: Self.cellAlphabet).map { $0 ?? "a" }.string(of: 0...12)
        let row = cell.array(of: 3...3)
        let table = row.array(of: 1...8)
        await propertyCheck(count: 200, input: table) { rows in
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("prop-\(UUID().uuidString).csv")
            defer { try? FileManager.default.removeItem(at: url) }
            do {
                let writer = try CSVWriter(url: url, header: ["h1", "h2", "h3"])
                for row in rows { try writer.write(row) }
                try writer.close()
                var reader = try CSVReader(url: url, delimiter: 0x2C)
                var read: [[String]] = []
                while var record = try reader.next() { read.append(record.cells()) }
                // A row of three empty cells is written as ",," and read back as such.
                #expect(read == [["h1", "h2", "h3"]] + rows)
            } catch {
                Issue.record("round trip failed: \(error)")
            }
        }
    }
}
