import Foundation
import LiqSync
import Testing

@Suite("Change-set files")
struct ChangeSetFileTests {
    private func sample(changes count: Int = 50) -> ChangeSet {
        let header = ChangeSetHeader(
            planId: "plan-1", created: "2026-11-29T10:00:00.000Z", workspace: "/w", direction: "both", mirrorFingerprint: "abc", mirrorContacts: 10,
            inputs: [PlanInput(importId: 1, file: "/in.csv", sha256: "def", profile: "localiq-contacts")], policies: ["default": "manual"])
        let changes = (1...count).map { index in
            Change(
                id: index, target: index % 3 == 0 ? .localiq : .highlevel, entity: .contact, op: .update,
                key: RecordKey(highlevelId: "hl\(index)", localiqId: "\(9_000_000_000 + index)", email: "p\(index)@example.com"),
                before: ["company": .string("Old \(index)")], after: ["company": .string("New \(index) \"quoted\" / slash é")],
                fields: [
                    FieldDiff(field: "company", base: .string("Old \(index)"), highlevel: .string("Old \(index)"), localiq: .string("New"), proposed: .string("New")),
                    FieldDiff(field: "tags", base: nil, highlevel: .array([.string("vip"), .number(Double(index))]), localiq: nil, proposed: nil),
                ],
                reason: "changed in LocaliQ since the last sync\ttab\u{1}", conflict: index % 7 == 0 ? Conflict(kind: .bothChanged, fields: ["company"], candidates: ["a", "b"]) : nil,
                decision: index % 5 == 0
                    ? Decision(verdict: .accepted, resolution: index % 10 == 0 ? ["company": .string("Mine"), "city": .null] : nil, by: "ops", at: "2026-11-29T10:00:00Z")
                    : nil)
        }
        return ChangeSet(header: header, changes: changes)
    }

    private func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("cs-\(UUID().uuidString).lqcs")
    }

    @Test("written and read back, equal; the file is gzip with a header, changes and a trailer")
    func roundTrip() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let set = sample()
        try ChangeSetFile.write(set, to: url)
        #expect(try ChangeSetFile.read(url) == set)
        let bytes = try Data(contentsOf: url)
        #expect(bytes.prefix(2) == Data([0x1F, 0x8B]))
        let reader = try GzipLineReader(url: url)
        var lines: [String] = []
        while let line = try reader.nextLine() { lines.append(String(decoding: line, as: UTF8.self)) }
        #expect(lines.count == 52)
        #expect(lines.first?.contains(#""format":"liqsync-changeset""#) == true)
        #expect(lines.first?.contains(#""type":"header""#) == true)
        #expect(lines.dropFirst().dropLast().allSatisfy { $0.hasPrefix(#"{"change":{"#) && $0.hasSuffix(#""type":"change"}"#) })
        // Each line in canonical form: keys sorted, compact, escapes as JSON writes them.
        for line in lines { #expect(try JSON.parse(Data(line.utf8)).canonicalText == line) }
        #expect(lines.last?.contains(#""type":"trailer""#) == true)
        #expect(lines.last?.contains(#""conflicts":7"#) == true)
    }

    @Test("a change set of many pieces, compressed on every core and written as each is ready, is one gzip stream: read back equal, lines in order, its trailer the CRC-32 and length of all of it")
    func compressedInPieces() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let set = sample(changes: 9_000)
        try ChangeSetFile.write(set, to: url)
        #expect(try ChangeSetFile.read(url) == set)
        let reader = try GzipLineReader(url: url)
        var plain: [UInt8] = []
        var ids: [Int] = []
        var last: JSON?
        while let line = try reader.nextLine() {
            plain += line + [0x0A]
            last = try JSON.parse(Data(line))
            if case .object(let change)? = last?.object?["change"], case .number(let id)? = change["id"] { ids.append(Int(id)) }
        }
        #expect(ids == Array(1...9_000))
        // The trailer counts every piece's changes: every third for LocaliQ, every seventh a
        // conflict, every fifth accepted.
        #expect(last?["type"] == .string("trailer"))
        #expect(last?["changes"] == .number(9_000))
        #expect(last?["counts"] == .object(["highlevel/contact/update": .number(6_000), "localiq/contact/update": .number(3_000)]))
        #expect(last?["conflicts"] == .number(1_285))
        #expect(last?["accepted"] == .number(1_800))
        #expect(last?["rejected"] == .number(0))
        let bytes = [UInt8](try Data(contentsOf: url))
        let trailer = bytes.suffix(8).map(UInt32.init)
        let crc = trailer[0] | trailer[1] << 8 | trailer[2] << 16 | trailer[3] << 24
        let length = trailer[4] | trailer[5] << 8 | trailer[6] << 16 | trailer[7] << 24
        #expect(crc == Self.crc32(plain))
        #expect(length == UInt32(truncatingIfNeeded: plain.count))
    }

    /// CRC-32 (the gzip trailer's), bit by bit.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    @Test("a flipped byte anywhere is refused as changed outside liqsync", arguments: [10, 100, 300, 600, -12, -8, -5])
    func flippedByte(offset: Int) throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try ChangeSetFile.write(sample(), to: url)
        var bytes = try Data(contentsOf: url)
        let index = offset >= 0 ? offset : bytes.count + offset
        bytes[index] ^= 0x20
        try bytes.write(to: url)
        #expect {
            try ChangeSetFile.read(url)
        } throws: { error in
            [.tampered(url.path), .truncated(url.path), .notAChangeSet(url.path)].contains(error as? ChangeSetError)
        }
    }

    @Test("a truncated file is refused as incomplete")
    func truncated() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try ChangeSetFile.write(sample(changes: 400), to: url)
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count / 2).write(to: url)
        #expect(throws: ChangeSetError.truncated(url.path)) { try ChangeSetFile.read(url) }
    }

    @Test("an edited line with a recomputed gzip is still refused: the checksum covers the content")
    func editedContent() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try ChangeSetFile.write(sample(), to: url)
        let reader = try GzipLineReader(url: url)
        var text = ""
        while let line = try reader.nextLine() { text += String(decoding: line, as: UTF8.self) + "\n" }
        let edited = text.replacingOccurrences(of: "New 3 ", with: "Evil 3 ")
        let writer = try GzipWriter(url: url)
        try writer.write(edited)
        try writer.finish()
        #expect(throws: ChangeSetError.tampered(url.path)) { try ChangeSetFile.read(url) }
    }

    @Test("a file that is not a change set says so")
    func notAChangeSet() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("id,name\n1,x\n".utf8).write(to: url)
        #expect(throws: ChangeSetError.notAChangeSet(url.path)) { try ChangeSetFile.read(url) }
    }
}
