import Foundation

/// A rule that fills a field of its own, in `RecordMapper.slotOrder`.
struct SlotEntry {
    let rule: Int
    let name: String
    /// The next entry's rule when it fills the same field (it wins when it has a value).
    let nextRuleOfSameName: Int?
}

/// One rule with what mapping a row needs of it worked out once: its kind, the name it is stored
/// under, its date reader and, once a header is bound, its column positions. A class, so the
/// per-row loop passes a reference instead of copying the rule's arrays and strings.
final class BoundRule: Sendable {
    let rule: FieldRule
    let kind: FieldMapping.Kind
    /// The field's name in `fields`, or in `activity` without the `activity.` prefix.
    let name: String
    let activity: Bool
    /// The `date` transform's reader, else the mapping's.
    let date: ImportDate
    /// The `concat` transform's columns, if it has one.
    let concatColumns: [String]?
    /// CSV: positions of `rule.columns` and of the concat columns in the bound header.
    let positions: [Int]
    let concatPositions: [Int]?
    /// What the per-row loop asks without touching the arrays above: the one position of a rule
    /// bound to one column, whether it is a phone rule (which reads every column), and whether it
    /// can fill nothing at all (no column, no concat, no constant, no default).
    let onlyPosition: Int?
    let readsAllColumns: Bool
    let inert: Bool
    /// The rule's value waits in a slot until every rule has run (`RecordMapper.fill`): a
    /// contact field no rule reads back while the rules run (the phone rule reads and writes
    /// `additional_phones` and writes `phone_extension`, so those are set in place).
    let usesSlot: Bool
    /// The contact's own email and phone (matching keys) and its other phones.
    let isContactEmail: Bool
    let isContactPhone: Bool
    let isAdditionalPhones: Bool
    /// The mapping's zone and day order, for `bound`.
    private let zone: TimeZone
    private let dayFirst: Bool

    init(_ rule: FieldRule, activity: Bool, zone: TimeZone, dayFirst: Bool, positions: [Int] = [], concatPositions: [Int]? = nil) {
        self.rule = rule
        self.activity = activity
        kind = rule.kindOverride ?? FieldMapping.kind(of: rule.field)
        name = activity ? String(rule.field.dropFirst("activity.".count)) : rule.field
        usesSlot = !activity && name != "additional_phones" && name != "phone_extension"
        isContactEmail = !activity && name == "email"
        isContactPhone = !activity && name == "phone"
        isAdditionalPhones = !activity && name == "additional_phones"
        var date = ImportDate(zone: zone, dayFirst: dayFirst)
        var concatColumns: [String]?
        for transform in rule.transforms {
            switch transform {
            case .date(let format, let zoneName):
                date = ImportDate(zone: zoneName.flatMap(TimeZone.init(identifier:)) ?? zone, dayFirst: dayFirst, format: format)
            case .concat(let columns, _): concatColumns = columns
            default: break
            }
        }
        self.date = date
        self.concatColumns = concatColumns
        self.positions = positions
        self.concatPositions = concatPositions
        onlyPosition = positions.count == 1 ? positions[0] : nil
        readsAllColumns = kind == .phone || kind == .phones
        let constant = rule.transforms.contains { if case .constant = $0 { true } else { false } }
        inert = positions.isEmpty && concatPositions == nil && !constant && rule.defaultValue == nil
        self.zone = zone
        self.dayFirst = dayFirst
    }

    /// The same rule bound to a header's positions.
    func bound(positions: [Int], concat: [Int]?) -> BoundRule {
        BoundRule(rule, activity: activity, zone: zone, dayFirst: dayFirst, positions: positions, concatPositions: concat)
    }
}
