import Foundation
import Yams

/// How the columns of one kind of export become liqsync's canonical fields: a built-in profile
/// or a user's mapping file (YAML, documented in `docs/mapping.md`).
public struct FieldMapping: Sendable, Equatable {
    /// Which files the mapping reads.
    public enum Format: String, Sendable, Codable { case csv, json, any }

    public var name: String
    public var summary: String
    public var format: Format
    /// Canonical field → how to fill it, in the order the file lists them.
    public var fields: [FieldRule]
    /// Each entry: at least one of these canonical fields must be non-empty, else the row is rejected.
    public var requiredAnyOf: [[String]]
    /// Rows whose email (lower-cased) is one of these are kept but excluded from sync.
    public var placeholderEmails: Set<String>
    /// Long rows (more cells than the header) are kept, the extra cells as `_extra_N`, instead of rejected.
    public var allowExtraCells: Bool
    /// `d/M/yyyy` instead of `M/d/yyyy` for slash dates.
    public var dayFirst: Bool
    /// Time zone for dates without one; nil uses the workspace's.
    public var timezone: String?
    /// For interaction files: each row is also an activity (a call, form or chat) of its contact.
    public var activity: [FieldRule]
    /// Columns this profile expects; `--detect` scores files by them.
    public var signature: [String]
    /// SHA-256 of the mapping's YAML: an import is a no-op only for the same file and mapping.
    public var digest: String = ""
    /// Optional: a HighLevel task per LocaliQ lead, opened and completed by the lead's status.
    public var followUpTask: FollowUpTaskRule?

    /// The mapping's canonical fields with a rule, by name.
    public func rule(for field: String) -> FieldRule? { fields.first { $0.field == field } }
}

/// A follow-up task for HighLevel from a LocaliQ row: created while the row's status is one of
/// `openStatuses` and the contact has no such task; completed (`PUT …/completed`) once the status
/// is one of `doneStatuses`. Written once per LocaliQ record (a marker in the task's body).
public struct FollowUpTaskRule: Sendable, Equatable, Codable {
    /// `{first_name}`, `{last_name}`, `{email}`, `{phone}` and `{company}` are filled in.
    public var title: String
    public var dueDays: Int
    public var openStatuses: [String]
    public var doneStatuses: [String]

    public init(title: String, dueDays: Int = 1, openStatuses: [String] = ["new", "open"], doneStatuses: [String] = ["customer", "closed"]) {
        self.title = title
        self.dueDays = dueDays
        self.openStatuses = openStatuses
        self.doneStatuses = doneStatuses
    }
}

/// How one canonical field is filled.
public struct FieldRule: Sendable, Equatable {
    /// The canonical field (`email`, `first_name`, `custom.Lead Score`, `activity.channel`, …).
    public var field: String
    /// Source columns (CSV headers or JSON keys, dotted for nested keys), first non-empty wins.
    /// For `phone`, the other non-empty columns become `additional_phones`.
    public var columns: [String]
    public var transforms: [Transform]
    /// Used when every column is empty.
    public var defaultValue: String?
    /// Read the value as this kind instead of the field's own (the `phone`, `email`, `date`,
    /// `split_tags` transforms on a custom field, say).
    public var kindOverride: FieldMapping.Kind?

    public init(field: String, columns: [String], transforms: [Transform] = [], defaultValue: String? = nil) {
        self.field = field
        self.columns = columns
        self.transforms = transforms
        self.defaultValue = defaultValue
    }
}

/// A step applied to a field's text, in order, after the column is read.
public enum Transform: Sendable, Equatable {
    case trim
    case lower
    case upper
    /// The value of several columns joined (`columns` of the rule are then ignored).
    case concat(columns: [String], separator: String)
    case constant(String)
    case prefix(String)
    /// Exact value (case-insensitive) → replacement; unlisted values are kept.
    case map([String: String])
    case date(format: String?, zone: String?)
}

extension FieldMapping {
    /// Canonical fields and the kind of value each holds; a field's kind sets its normalisation.
    public enum Kind: Sendable, Equatable { case text, email, phone, phones, date, tags, status, duration, channel }

    /// The kind of a canonical field (custom and unknown fields are text).
    public static func kind(of field: String) -> Kind {
        switch field {
        case "email": .email
        case "phone": .phone
        case "additional_phones": .phones
        case "created", "updated", "archived", "activity.occurred_at": .date
        case "tags", "activity.tags": .tags
        case "status": .status
        case "activity.duration": .duration
        case "activity.channel": .channel
        default: .text
        }
    }

    /// The canonical contact fields liqsync knows (a mapping may also fill `custom.LABEL`).
    public static let contactFields = [
        "id", "highlevel_id", "first_name", "last_name", "display_name", "email", "phone", "additional_phones", "company", "title", "website",
        "address1", "address2", "city", "state", "postal_code", "country", "source", "campaign", "attribution_source",
        "attribution_medium", "tags", "created", "updated", "archived", "status", "notes",
    ]

    /// The canonical activity fields (interaction files).
    public static let activityFields = [
        "activity.id", "activity.channel", "activity.sub_type", "activity.occurred_at", "activity.duration", "activity.subject",
        "activity.message", "activity.summary", "activity.transcript", "activity.recording_url", "activity.campaign",
        "activity.status", "activity.tags",
    ]
}
