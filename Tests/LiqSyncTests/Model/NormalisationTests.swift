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
