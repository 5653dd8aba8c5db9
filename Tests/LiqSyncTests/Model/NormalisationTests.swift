import Foundation
import LiqSync
import Testing

@Suite("Phone and time normalisation")
struct NormalisationTests {
    @Test(
        "phones become E.164 or nil",
        arguments: [
            ("(312) 555-0142", "+13125550142"), ("312.555.0142", "+13125550142"), ("1-312-555-0142", "+13125550142"),
            ("+44 20 7946 0958", "+442079460958"), ("0044 20 7946 0958", "+442079460958"), ("312-555-0142 x12", "+13125550142"),
            ("555-0142", nil), ("call me", nil), ("", nil), ("012-555-0142", nil),
        ] as [(String, String?)])
    func phones(raw: String, expected: String?) {
        #expect(PhoneNumber.e164(raw) == expected)
    }

    @Test(
        "HighLevel's mixed time formats are read",
        arguments: [
            ("2021-07-02T05:18:26.704Z", 1_625_203_106.704), ("2021-07-02T05:18:26Z", 1_625_203_106),
            ("2021-07-16 11:00:00", 1_626_433_200), ("2023-09-25T16:00:00+05:30", 1_695_637_800),
        ])
    func times(text: String, epoch: Double) throws {
        let date = try #require(Timestamp.parse(text))
        #expect(abs(date.timeIntervalSince1970 - epoch) < 0.001)
    }
}

@Suite("Canonical JSON and timestamps")
struct CanonicalFormTests {
    @Test("canonical text sorts keys, escapes, and reads back as the same value")
    func canonicalJSON() throws {
        let text = #"{"b":[1,2.5,true,null],"a":"quote \" slash \\ line\n tab\t \u0001 é 🙂","c":{"z":1,"y":-3}}"#
        let value = try JSON.parse(Data(text.utf8))
        let canonical = value.canonicalText
        #expect(canonical.hasPrefix(#"{"a":"#))
        #expect(canonical.contains(#""c":{"y":-3,"z":1}"#))
        #expect(try JSON.parse(Data(canonical.utf8)) == value)
        #expect(value.canonicalText == (try JSON.parse(Data(canonical.utf8))).canonicalText)
    }

    @Test("whole seconds are formatted as Foundation's ISO 8601 style does", arguments: [0, 951_782_400, 1_709_208_000, -86_400, 4_102_444_799])
    func wholeSeconds(epoch: Double) {
        let date = Date(timeIntervalSince1970: epoch)
        #expect(Timestamp.format(date) == Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date))
    }

    /// Foundation's style truncates (…26.704 read back prints …26.703); this rounds, so what
    /// HighLevel sent is what the mirror stores.
    @Test("milliseconds survive a read and a write", arguments: [
        "2021-07-02T05:18:26.704Z", "2000-02-29T23:59:59.999Z", "1969-12-31T00:00:00.500Z", "2026-11-29T10:00:00.001Z",
    ])
    func roundTrip(text: String) throws {
        #expect(Timestamp.format(try #require(Timestamp.parse(text))) == text)
    }
}
