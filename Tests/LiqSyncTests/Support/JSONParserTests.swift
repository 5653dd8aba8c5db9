import Foundation
import LiqSync
import PropertyBased
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    @Test(
        "values parse to what JSONSerialization reads",
        arguments: [
            #"{"a":[1,2.5,-3e2,true,false,null],"b":"x\"y\\z\/\n\t\u00e9\ud83d\ude42","c":{}}"#, "[]", "0", "-0.5", #""plain""#,
            #"{"id":9293472379,"tags":["Call Lead","vip"]}"#, " \n[ 1 , { \"k\" : [ ] } ]\r\n",
        ])
    func agrees(text: String) throws {
        let ours = try JSON.parse(Data(text.utf8))
        let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        let again = try JSONSerialization.data(withJSONObject: ["v": foundation], options: [.sortedKeys])
        let roundTrip = try JSON.parse(Data(ours.canonicalText.utf8))
        #expect(roundTrip == ours)
        #expect(try JSON.parse(again)["v"] == ours)
    }

    @Test(
        "malformed input is refused, never crashes",
        arguments: [
            "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "tru", "\"unterminated", "\"bad \\x escape\"", "\"\\ud83d alone\"", "{}x",
            "\"tab\there\"", String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
        ])
    func refused(text: String) {
        #expect(throws: (any Error).self) { try JSON.parse(Data(text.utf8)) }
    }

    @Test("bytes that are not UTF-8 inside a string are refused")
    func invalidUTF8() {
        #expect(throws: (any Error).self) { try JSON.parse(Data([0x22, 0xFF, 0xFE, 0x22])) }
    }
}

@Suite struct CanonicalJSONTests {
    @Test func keysSortedNumbersPlainEscapesMinimal() throws {
        let value = try JSON.parse(Data(#"{"b":[0,-5,123456789012,1.5,-0.25,true,null],"a":{"z":"x\"y\n","m":"é"},"":-9007199254740}"#.utf8))
        #expect(value.canonicalText == #"{"":-9007199254740,"a":{"m":"é","z":"x\"y\n"},"b":[0,-5,123456789012,1.5,-0.25,true,null]}"#)
    }

    @Test("any string, long or short, is escaped exactly where JSON needs it and reads back the same")
    func stringsRoundTrip() async {
        // Escapes land at every offset of the eight-byte words the writer checks at once.
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "\n", "\t", "\u{1}", "\u{1F}", "\u{7F}", "é", "🙂", "/", "~"]
        let text = Gen<Character?>.element(of: alphabet).map { $0 ?? "a" }.string(of: 0...40)
        await propertyCheck(count: 400, input: text) { text in
            let written = JSON.string(text).canonicalText
            #expect((try? JSON.parse(Data(written.utf8))) == .string(text))
            let needsEscape = text.unicodeScalars.contains { $0.value < 0x20 || $0 == "\"" || $0 == "\\" }
            #expect(written.utf8.count == text.utf8.count + 2 || needsEscape, "escaped without need: \(written)")
        }
    }
}
