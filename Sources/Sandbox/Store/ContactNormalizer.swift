import Foundation

/// How HighLevel cleans what it is sent before storing it: phones in E.164, tags lower-cased
/// and de-duplicated, emails checked.
enum ContactNormalizer {
    /// E.164 for NANP and `+` numbers; anything else is stored as sent.
    static func phone(_ raw: String) -> String {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.filter(\.isASCII).filter(\.isNumber)
        if trimmed.hasPrefix("+"), (8...15).contains(digits.count) { return "+" + digits }
        if digits.count == 10 { return "+1" + digits }
        if digits.count == 11, digits.hasPrefix("1") { return "+" + digits }
        return trimmed
    }

    /// Lower-cased, trimmed, first occurrence kept.
    static func tags(_ raw: [String]) -> [String] {
        var seen = Set<String>()
        var result: [String] = []
        for tag in raw {
            let clean = tag.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            if !clean.isEmpty, seen.insert(clean).inserted { result.append(clean) }
        }
        return result
    }

    /// A plausible address: one `@`, something before it, a dot in the domain, no spaces.
    static func isValidEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix(".")
        else { return false }
        return !email.contains(where: \.isWhitespace)
    }
}
