import Foundation

/// A contact field liqsync keeps in step, with its names on each side and how values compare.
public struct SyncField: Sendable, Equatable, Hashable {
    /// The canonical (staging) name: `first_name`, `company`, …
    public let name: String
    /// HighLevel's contact property: `firstName`, `companyName`, …
    public let highlevelKey: String
    /// How values compare, worked out from the name once (a digest compares every field of every
    /// record pulled or imported).
    let comparison: Comparison

    enum Comparison: Sendable, Hashable {
        case tags, email, phone, country, text
    }

    init(name: String, highlevelKey: String) {
        self.name = name
        self.highlevelKey = highlevelKey
        switch name {
        case "tags": comparison = .tags
        case "email": comparison = .email
        case "phone": comparison = .phone
        case "country": comparison = .country
        default: comparison = .text
        }
    }

    public static let all: [SyncField] = [
        SyncField(name: "first_name", highlevelKey: "firstName"), SyncField(name: "last_name", highlevelKey: "lastName"),
        SyncField(name: "email", highlevelKey: "email"), SyncField(name: "phone", highlevelKey: "phone"),
        SyncField(name: "company", highlevelKey: "companyName"), SyncField(name: "source", highlevelKey: "source"),
        SyncField(name: "tags", highlevelKey: "tags"), SyncField(name: "address1", highlevelKey: "address1"),
        SyncField(name: "city", highlevelKey: "city"), SyncField(name: "state", highlevelKey: "state"),
        SyncField(name: "postal_code", highlevelKey: "postalCode"), SyncField(name: "country", highlevelKey: "country"),
        SyncField(name: "website", highlevelKey: "website"),
    ]

    public static func named(_ name: String) -> SyncField? { all.first { $0.name == name } }

    /// No value for any field, in `all`'s order.
    static let none = [JSON?](repeating: nil, count: all.count)

    /// Whether HighLevel's `PUT /contacts/:id` accepts the field: its UpdateContactDto has no
    /// `companyName`, so a company can be set when a contact is created, not changed afterwards.
    public var updatableInHighLevel: Bool { highlevelKey != "companyName" }

    /// The value as compared: empty values are nil; emails lower-cased; phones E.164; countries
    /// ISO-2; tags a sorted, lower-cased set; other text trimmed.
    public func comparable(_ value: JSON?) -> JSON? {
        guard let value else { return nil }
        switch comparison {
        case .tags:
            let tags: [String]
            if let array = value.array {
                tags = array.compactMap(\.string)
            } else if let text = value.string {
                tags = TagList.parse(text)
            } else {
                return nil
            }
            // A sorted list without repeats, which is what a set sorted would give, without hashing.
            var sorted = tags.map { $0.trimmed.lowercased() }.filter { !$0.isEmpty }
            guard !sorted.isEmpty else { return nil }
            sorted.sort()
            var unique: [JSON] = []
            unique.reserveCapacity(sorted.count)
            for (index, tag) in sorted.enumerated() where index == 0 || sorted[index - 1] != tag { unique.append(.string(tag)) }
            return .array(unique)
        default:
            guard let text = value.string?.trimmed, !text.isEmpty else { return nil }
            switch comparison {
            case .email: return .string(text.lowercased())
            case .phone: return .string(PhoneNumber.e164(text) ?? text)
            case .country: return .string(CountryName.isoCode(text) ?? text)
            case .tags, .text: return .string(text)
            }
        }
    }
}

/// Country names as exports write them, to ISO 3166 alpha-2 (HighLevel stores the code).
public enum CountryName {
    private static let names: [String: String] = [
        "us": "US", "usa": "US", "u.s.": "US", "u.s.a.": "US", "united states": "US", "united states of america": "US", "america": "US",
        "ca": "CA", "canada": "CA", "gb": "GB", "uk": "GB", "u.k.": "GB", "united kingdom": "GB", "great britain": "GB", "england": "GB",
        "au": "AU", "australia": "AU", "nz": "NZ", "new zealand": "NZ", "ie": "IE", "ireland": "IE", "mx": "MX", "mexico": "MX",
        "de": "DE", "germany": "DE", "fr": "FR", "france": "FR", "es": "ES", "spain": "ES", "in": "IN", "india": "IN",
    ]

    /// The ISO code for a known name or code, else nil.
    public static func isoCode(_ text: String) -> String? {
        names[text.trimmed.lowercased()]
    }
}

/// How a field both sides changed differently is settled.
public enum FieldPolicy: String, Sendable, Codable, CaseIterable {
    case highlevelWins = "highlevel-wins"
    case localiqWins = "localiq-wins"
    /// The side changed most recently, when both carry a time; otherwise a conflict.
    case newestWins = "newest-wins"
    /// A conflict for a person to resolve.
    case manual
}

/// The policies of a workspace (`sync:` in `liqsync.yaml`).
public struct SyncPolicy: Sendable, Equatable, Codable {
    /// For fields without their own policy.
    public var defaultPolicy: FieldPolicy = .manual
    public var fields: [String: FieldPolicy] = [:]
    /// First sync (no base): differing non-empty values are conflicts (`manual`) or settled by a side.
    public var firstSync: FieldPolicy = .manual
    /// Contacts gone from one side are reported; deleted on the other only when this is true.
    public var propagateDeletes = false

    public init() {}

    public func policy(for field: String) -> FieldPolicy { fields[field] ?? defaultPolicy }

    enum CodingKeys: String, CodingKey {
        case defaultPolicy = "default"
        case fields
        case firstSync = "first_sync"
        case propagateDeletes = "propagate_deletes"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        defaultPolicy = try container.decodeIfPresent(FieldPolicy.self, forKey: .defaultPolicy) ?? .manual
        fields = try container.decodeIfPresent([String: FieldPolicy].self, forKey: .fields) ?? [:]
        firstSync = try container.decodeIfPresent(FieldPolicy.self, forKey: .firstSync) ?? .manual
        propagateDeletes = try container.decodeIfPresent(Bool.self, forKey: .propagateDeletes) ?? false
    }

    /// The policies as the change set's header records them.
    public var summary: [String: String] {
        var result = ["default": defaultPolicy.rawValue, "first_sync": firstSync.rawValue, "propagate_deletes": String(propagateDeletes)]
        for (field, policy) in fields { result["field." + field] = policy.rawValue }
        return result
    }
}
