import Foundation
import LiqSync
import Testing

@Suite("Normalisation rules")
struct FieldNormalizerTests {
    @Test(
        "phones: E.164 and the extension, or nil",
        arguments: [
            ("2188675309", "+12188675309", nil), ("+12627071229", "+12627071229", nil), ("262-555-0147", "+12625550147", nil),
            ("(312) 555-0145", "+13125550145", nil), ("1 (312) 555-0145", "+13125550145", nil), ("+44 20 7946 0958", "+442079460958", nil),
            ("0044 20 7946 0958", "+442079460958", nil), ("312-555-0142 x12", "+13125550142", "12"), ("312.555.0142 ext. 7", "+13125550142", "7"),
            ("312-555-0142 Ext 99", "+13125550142", "99"), ("312 555 0142#4", "+13125550142", "4"), ("+1 312\u{A0}555 0142", "+13125550142", nil),
            ("asdf", nil, nil), ("555-0142", nil, nil), ("012-555-0142", nil, nil), ("", nil, nil), ("+", nil, nil), ("312-555-0142 x", nil, nil),
            ("1+312", nil, nil), ("11-312-555-0142", nil, nil), ("+1234567", nil, nil), ("(312) 555-0142 call", nil, nil),
            ("+123456789012345", "+123456789012345", nil), ("+1234567890123456", nil, nil), ("00123456789012345", "+123456789012345", nil),
            ("001234567890123456", nil, nil), ("1234567890123456789012345", nil, nil),
        ] as [(String, String?, String?)])
    func phones(raw: String, e164: String?, ext: String?) {
        let parsed = PhoneNumber.parse(raw)
        #expect(parsed?.e164 == e164)
        #expect(parsed?.extensionDigits == ext)
    }

    @Test(
        "emails: cleaned for output, lower-cased key only when valid",
        arguments: [
            (" Ana.Lopez@Example.com ", "Ana.Lopez@Example.com", "ana.lopez@example.com"), ("mailto:bo@example.com", "bo@example.com", "bo@example.com"),
            ("<cy@example.com>", "cy@example.com", "cy@example.com"), ("Dee Dee <DEE@example.com>", "DEE@example.com", "dee@example.com"),
            ("MAILTO:eve@example.org", "eve@example.org", "eve@example.org"), ("MailTo:Max@example.org", "Max@example.org", "max@example.org"),
            ("mailto-list@example.org", "mailto-list@example.org", "mailto-list@example.org"), ("no-at-sign.example.com", "no-at-sign.example.com", nil),
            ("two@@example.com", "two@@example.com", nil), ("a@b", "a@b", nil), ("@example.com", "@example.com", nil),
            ("with space@example.com", "with space@example.com", nil), ("trailing@example.com.", "trailing@example.com.", nil),
        ] as [(String, String, String?)])
    func emails(raw: String, cleaned: String, key: String?) {
        #expect(EmailAddress.cleaned(raw) == cleaned)
        #expect(EmailAddress.key(EmailAddress.cleaned(raw)) == key)
    }

    @Test(
        "dates: the shapes LocaliQ and spreadsheets write, to UTC",
        arguments: [
            ("2021-08-04T21:21:42.000Z", "UTC", false, "2021-08-04T21:21:42.000Z"), ("2019-01-04T15:24:31Z", "UTC", false, "2019-01-04T15:24:31.000Z"),
            ("2023-01-04T15:31:11-08:00", "UTC", false, "2023-01-04T23:31:11.000Z"), ("2023-01-04T15:31:11+0530", "UTC", false, "2023-01-04T10:01:11.000Z"),
            ("2021-08-04 20:02:29 UTC", "UTC", false, "2021-08-04T20:02:29.000Z"), ("2021-07-27T17:07:08-04:00", "UTC", false, "2021-07-27T21:07:08.000Z"),
            ("1/30/2023 10:50:06 AM", "UTC", false, "2023-01-30T10:50:06.000Z"), ("1/30/2023 12:05 AM", "UTC", false, "2023-01-30T00:05:00.000Z"),
            ("12/1/2023 1:05 pm", "UTC", false, "2023-12-01T13:05:00.000Z"), ("7/4/2024", "America/Chicago", false, "2024-07-04T05:00:00.000Z"),
            ("2024-01-15", "America/New_York", false, "2024-01-15T05:00:00.000Z"), ("2024-07-15 09:00:00", "Europe/Berlin", false, "2024-07-15T07:00:00.000Z"),
            ("2024-03-10T02:30:00", "UTC", false, "2024-03-10T02:30:00.000Z"), ("2024/02/29", "UTC", false, "2024-02-29T00:00:00.000Z"),
            ("04-02-2024", "UTC", false, "2024-04-02T00:00:00.000Z"), ("04/02/2024", "UTC", true, "2024-02-04T00:00:00.000Z"),
            ("2021-08-04T21:21:42.123456Z", "UTC", false, "2021-08-04T21:21:42.123Z"), ("2000-02-29", "UTC", false, "2000-02-29T00:00:00.000Z"),
            ("2024-12-31 23:59:59", "UTC", false, "2024-12-31T23:59:59.000Z"), (" 2024-09-30 ", "UTC", false, "2024-09-30T00:00:00.000Z"),
        ] as [(String, String, Bool, String)])
    func dates(raw: String, zone: String, dayFirst: Bool, expected: String) throws {
        let reader = ImportDate(zone: try #require(TimeZone(identifier: zone)), dayFirst: dayFirst)
        let date = try #require(reader.parse(raw), "\(raw)")
        #expect(Timestamp.format(date) == expected)
    }

    @Test(
        "dates that are refused rather than guessed",
        arguments: ["31/12/2023", "2023-13-01", "2023-02-30", "2023-02-29", "2024-04-31", "2024-06-31", "1900-02-29", "1/30/23", "yesterday", "", "2023-01-04T25:00:00Z", "13:00", "2023-01-04T10:00:00+99:00"])
    func badDates(raw: String) {
        #expect(ImportDate().parse(raw) == nil)
    }

    @Test(
        "tags: JSON arrays or , ; lists, trimmed, de-duplicated ignoring case",
        arguments: [
            ("vip; Vip, call", ["vip", "call"]), (#"["Call Lead","Adv test 20191202"]"#, ["Call Lead", "Adv test 20191202"]),
            ("Adv test 20191202,Call Lead", ["Adv test 20191202", "Call Lead"]), (" , ;", []), ("one", ["one"]), (#"["a","A"," a "]"#, ["a"]),
            ("Hot , hot,HOT", ["Hot"]), ("VIP; vip ,Customer", ["VIP", "Customer"]), ("a,,b;;a\t", ["a", "b"]), ("[broken", ["[broken"]),
            ("Café;CAFÉ;cafe", ["Café", "cafe"]), ("\u{00A0}vip\u{00A0};VIP", ["vip"]), ("ab,a b,abc", ["ab", "a b", "abc"]), ("", []),
        ] as [(String, [String])])
    func tags(raw: String, expected: [String]) {
        #expect(TagList.parse(raw) == expected)
    }

    @Test(
        "statuses: both LocaliQ vocabularies to one set",
        arguments: [
            ("pending_contact", "new"), ("NEW", "new"), ("active_lead", "open"), ("IN_PROGRESS", "open"), ("ATTEMPTED_CONTACT", "open"),
            ("CONNECTED", "open"), ("PROSPECT", "open"), ("OPEN", "open"), ("client", "customer"), ("CUSTOMER", "customer"),
            ("CONVERTED", "customer"), ("UNQUALIFIED", "closed"), ("CLOSED", "closed"), ("none", "other"), ("OTHER", "other"),
            ("In Progress", "open"), ("active_contact interaction", nil), ("hot", nil),
            (" Active-Lead ", "open"), ("PENDING CONTACT", "new"), ("\u{0B}new\t", "new"), ("attempted-contact", "open"), ("Ünqualified", nil),
            ("\u{00A0}Closed\u{00A0}", "closed"), ("news", nil), ("", nil),
        ] as [(String, String?)])
    func statuses(raw: String, expected: String?) {
        #expect(ContactStatus.canonical(raw) == expected)
    }

    @Test(
        "durations: seconds, MM:SS, HH:MM:SS",
        arguments: [
            ("180", 180), ("00:55", 55), ("01:02:03", 3723), ("0", 0), ("12.6", 13), ("long", nil), ("1:75", nil), ("-5", nil), ("", nil),
        ] as [(String, Int?)])
    func durations(raw: String, expected: Int?) {
        #expect(CallDuration.seconds(raw) == expected)
    }

    @Test(
        "names from display_name only as a fallback",
        arguments: [
            ("Flintstone, Fred", "Fred", "Flintstone"), ("Fred Flintstone", "Fred", "Flintstone"), ("Mary Ann Smith", "Mary", "Ann Smith"),
            ("Cher", "Cher", ""),
        ])
    func names(raw: String, first: String, last: String) throws {
        let split = try #require(PersonName.split(displayName: raw))
        #expect(split.first == first)
        #expect(split.last == last)
    }

    @Test("a display_name that is an email or a phone is not a name", arguments: ["fred@example.com", "(312) 555-0101", "  "])
    func notNames(raw: String) {
        #expect(PersonName.split(displayName: raw) == nil)
    }
}
