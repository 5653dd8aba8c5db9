import Foundation
import LiqSync
import PropertyBased
import Testing

@Suite("Sync digests: the quick way gives the compared value's digest")
struct SyncFieldDigestTests {
    static let samples: [JSON?] = [
        nil, .null, .string(""), .string(" "), .string("Maria"), .string(" Maria "), .string("maria.lopez@example.com"),
        .string("Maria.Lopez@Example.com"), .string(" maria@example.com"), .string("+12075550130"), .string("(207) 555-0130"),
        .string("+1207555013"), .string("+1 207 555 0130"), .string("+12075550130 x12"), .string("United States"), .string("us"),
        .string("US"), .string("vip, Hot;vip"), .array([.string("Hot"), .string(" vip"), .string("hot"), .string("")]), .array([]),
        .string("Zoë"), .string("\u{00A0}Zoë\u{00A0}"), .string("quote \" inside"), .string("tab\tinside"), .string("x\u{1}"), .number(42),
        .bool(true), .string("+"), .string("+123456789012345678"), .array([.string("VIP"), .string("hot"), .string("vip")]),
        .array([.string("b"), .string("a"), .string("b"), .string("A")]), .array([.string("solo")]), .array([.string("a\"b")]),
        .array([.string("Zoë")]), .array([.number(1), .string("x")]), .array([.string("x y"), .string("X Y")]),
    ]

    @Test("every field, every sample: digest(value) == comparableDigest(value)")
    func samplesAgree() {
        for field in SyncField.all {
            for value in Self.samples {
                #expect(field.digest(value) == field.comparableDigest(value), "\(field.name): \(String(describing: value))")
            }
        }
    }

    @Test("random tag lists agree")
    func randomTagsAgree() async throws {
        let tags = try #require(SyncField.named("tags"))
        let tag = Gen<Character?>.element(of: ["a", "B", "c", " ", "\"", "é", "-"]).map { $0 ?? "a" }.string(of: 0...4)
        await propertyCheck(count: 300, input: tag.array(of: 0...5)) { list in
            let value = JSON.array(list.map(JSON.string))
            #expect(tags.digest(value) == tags.comparableDigest(value), "\(list)")
        }
    }

    @Test("random text agrees for every field")
    func randomTextAgrees() async {
        let alphabet: [Character] = ["a", "Z", "0", "9", "+", " ", "\t", "@", ".", ",", ";", "\"", "\\", "é", "\u{00A0}", "\u{3000}", "-", "("]
        let text = Gen<Character?>.element(of: alphabet).map { $0 ?? "a" }.string(of: 0...14)
        await propertyCheck(count: 300, input: text) { text in
            for field in SyncField.all {
                #expect(field.digest(.string(text)) == field.comparableDigest(.string(text)), "\(field.name): \(text)")
            }
        }
    }

    @Test("tags compare as a set: order, case, repeats and blanks do not change the digest")
    func tagsAsSet() throws {
        let tags = try #require(SyncField.named("tags"))
        #expect(tags.digest(.array([.string("VIP"), .string("hot"), .string("vip"), .string(" ")])) == tags.digest(.string("hot;vip")))
        #expect(tags.digest(.string("hot")) != tags.digest(.string("hot;vip")))
        #expect(tags.comparable(.string("b, A, a")) == .array([.string("a"), .string("b")]))
    }
}
