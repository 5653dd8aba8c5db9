import Foundation

/// A phone number in E.164, the key liqsync matches phones by.
public enum PhoneNumber {
    /// E.164 for a number written any common way: NANP first (10 digits → `+1…`, 11 starting
    /// with 1), `+` kept, `00` read as `+`. An extension (`x123`, `ext. 123`) is dropped from the
    /// key. Nil for anything that is not a plausible number.
    public static func e164(_ raw: String) -> String? {
        var text = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        for marker in ["ext.", "ext", "x", "#"] {
            if let range = text.range(of: marker), range.lowerBound > text.startIndex {
                text = String(text[..<range.lowerBound])
                break
            }
        }
        let allowed = Set("0123456789+-(). /")
        guard !text.isEmpty, text.allSatisfy({ allowed.contains($0) }) else { return nil }
        let digits = text.filter(\.isNumber)
        if text.hasPrefix("+") { return (8...15).contains(digits.count) ? "+" + digits : nil }
        if digits.hasPrefix("00") { return (10...17).contains(digits.count) ? "+" + digits.dropFirst(2) : nil }
        if digits.count == 10, let first = digits.first, first != "0", first != "1" { return "+1" + digits }
        if digits.count == 11, digits.hasPrefix("1") { return "+" + digits }
        return nil
    }
}
