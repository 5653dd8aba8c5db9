import Foundation

/// Turns rows of one file into `ImportedRow`s through a mapping: finds each rule's columns once,
/// then per row reads, transforms, normalises and validates the cells.
public struct RecordMapper: Sendable {
    public let mapping: FieldMapping
    private let zone: TimeZone

    /// The rules with what each needs worked out once: fields first, then activity fields.
    /// Column positions are filled in by `bind(header:)` (CSV).
    private var rules: [BoundRule]
    /// The rules that fill a field of their own (a slot per rule), by field name in `String`
    /// order and then by rule order: a row's values are gathered in slots while the rules run and
    /// put into its fields in one ordered pass, instead of a sorted insert per value.
    private let slotOrder: [SlotEntry]
    /// Header text per position, after duplicate names got `#2`, `#3`.
    public private(set) var header: [String] = []
    /// Positions no rule reads: kept as extras.
    private var unmapped: [Int] = []
    private var readJSONKeys: Set<String> = []

    public init(mapping: FieldMapping, workspaceZone: TimeZone) {
        self.mapping = mapping
        zone = mapping.timezone.flatMap(TimeZone.init(identifier:)) ?? workspaceZone
        let (zone, dayFirst) = (zone, mapping.dayFirst)
        let rules = mapping.fields.map { BoundRule($0, activity: false, zone: zone, dayFirst: dayFirst) }
            + mapping.activity.map { BoundRule($0, activity: true, zone: zone, dayFirst: dayFirst) }
        self.rules = rules
        let sorted = rules.indices.filter { rules[$0].usesSlot }.map { (rule: $0, name: rules[$0].name) }
            .sorted { $0.name != $1.name ? $0.name < $1.name : $0.rule < $1.rule }
        slotOrder = sorted.indices.map { index in
            SlotEntry(
                rule: sorted[index].rule, name: sorted[index].name,
                nextRuleOfSameName: index + 1 < sorted.count && sorted[index + 1].name == sorted[index].name ? sorted[index + 1].rule : nil)
        }
        for rule in mapping.fields + mapping.activity {
            for column in rule.columns { readJSONKeys.insert(Self.firstKey(column)) }
            for transform in rule.transforms {
                if case .concat(let columns, _) = transform { columns.forEach { readJSONKeys.insert(Self.firstKey($0)) } }
            }
        }
    }

    /// Header matching: case-folded, BOM and spaces trimmed, `_` `-` and spaces removed.
    public static func headerKey(_ text: String) -> String {
        String(
            text.lowercased().unicodeScalars.filter { $0 != "\u{FEFF}" && $0 != "_" && $0 != "-" && $0 != " " && $0 != "\t" }
                .map(Character.init))
    }

    private static func firstKey(_ path: String) -> String {
        String(path.split(separator: ".", maxSplits: 1).first ?? Substring(path))
    }

    // MARK: CSV

    /// Reads the header: duplicate names get `#2`…; returns the duplicates and the unmapped columns.
    public mutating func bind(header raw: [String]) -> (duplicates: [String], unmapped: [String]) {
        var seen: [String: Int] = [:]
        var duplicates: [String] = []
        header = raw.map { name in
            let trimmed = name.replacingOccurrences(of: "\u{FEFF}", with: "").trimmed
            let key = Self.headerKey(trimmed)
            seen[key, default: 0] += 1
            if let count = seen[key], count > 1 {
                duplicates.append(trimmed)
                return "\(trimmed)#\(count)"
            }
            return trimmed
        }
        var positions: [String: Int] = [:]
        for (index, name) in header.enumerated() where positions[Self.headerKey(name)] == nil { positions[Self.headerKey(name)] = index }
        func resolve(_ columns: [String]) -> [Int] { columns.compactMap { positions[Self.headerKey($0)] } }
        rules = rules.map { $0.bound(positions: resolve($0.rule.columns), concat: $0.concatColumns.map(resolve)) }
        var used = Set<Int>()
        for rule in rules {
            used.formUnion(rule.positions)
            used.formUnion(rule.concatPositions ?? [])
        }
        unmapped = header.indices.filter { !used.contains($0) }
        return (duplicates, unmapped.map { header[$0] })
    }

    /// The canonical fields the header cannot fill (for `--detect` and the required check).
    public func unboundFields() -> [String] {
        let unbound = rules.filter { bound in
            let constant = bound.rule.transforms.contains { if case .constant = $0 { true } else { false } }
            return !bound.activity && bound.positions.isEmpty && bound.concatPositions == nil && !constant && bound.rule.defaultValue == nil
        }.map(\.rule.field)
        // Names split from display_name fill first and last name.
        if !unbound.contains("display_name") { return unbound.filter { $0 != "first_name" && $0 != "last_name" } }
        return unbound
    }

    /// Maps one CSV record.
    public func map(_ record: inout CSVRecord) -> ImportedRow {
        let cells = record.cells()
        var row = ImportedRow(line: record.line, raw: .csv(packed: record.packed(), cells: record.count))
        if record.hadNUL { row.findings.append(Finding(.nulBytes, reason: "NUL bytes were removed from the row")) }
        if let oversized = record.oversizedCell {
            row.findings.append(
                Finding(.oversizedCell, column: oversized < header.count ? header[oversized] : nil, reason: "a cell is longer than 1 MB", rejects: true))
        }
        if cells.count < header.count {
            row.findings.append(Finding(.shortRow, reason: "the row has \(cells.count) cells, the header \(header.count); the missing cells are empty"))
        } else if cells.count > header.count {
            let extra = cells[header.count...].filter { !$0.isEmpty }
            if !extra.isEmpty {
                if mapping.allowExtraCells {
                    for (offset, value) in cells[header.count...].enumerated() where !value.isEmpty { row.extras["_extra_\(offset + 1)"] = value }
                } else {
                    row.findings.append(
                        Finding(
                            .longRow, value: extra.first,
                            reason: "the row has \(cells.count) cells, the header \(header.count); a delimiter or quote is probably missing",
                            rejects: true))
                }
            }
        }
        // The closures below capture these, not `self` (which a closure context would copy, every
        // rule and name retained and released again per row).
        let (header, rules, slotOrder) = (header, rules, slotOrder)
        for index in unmapped where index < cells.count && !cells[index].isEmpty { row.extras[header[index]] = cells[index] }
        // Values are passed to the rules as positions in `cells` (a pair of strings per rule and
        // row was a tenth of mapping a row, most of it retaining and releasing them).
        func filled(_ position: Int) -> Bool { record.startsWithText(position) || position < cells.count && !cells[position].isBlank }
        if !mapping.activity.isEmpty { row.activity = [:] }
        Self.withSlots(rules.count) { slots in
            for index in rules.indices {
                // `rules` holds every rule for the whole loop: no retain and release per rule and row.
                unowned(unsafe) let rule = rules[index]
                if rule.inert { continue }
                let all = rule.readsAllColumns ? rule.positions.filter(filled) : []
                let first: Int?
                if rule.readsAllColumns {
                    first = all.first
                } else if let only = rule.onlyPosition {
                    first = filled(only) ? only : nil
                } else {
                    first = rule.positions.first(where: filled)
                }
                Self.apply(
                    rule, texts: cells, names: header, unguard: true, first: first, all: all,
                    concat: rule.concatPositions?.filter(filled) ?? [], to: &row, slot: &slots[index])
            }
            Self.fill(&row.fields, from: slots, order: slotOrder)
        }
        finish(&row)
        return row
    }

    /// A leading `'` that a spreadsheet-safe export put before `=`, `+`, `-` or `@` is removed.
    static func unguarded(_ value: String) -> String {
        guard let (first, _) = value.utf8Ends, first == 0x27, value.utf8.count >= 2 else { return value }
        let second = value.utf8[value.utf8.index(after: value.utf8.startIndex)]
        return [0x3D, 0x2B, 0x2D, 0x40].contains(second) ? String(value.dropFirst()) : value
    }

    // MARK: JSON

    /// Maps one JSON record (an object).
    public func map(json value: JSON, line: Int) -> ImportedRow {
        var row = ImportedRow(line: line, raw: .json(value))
        guard let object = value.object else {
            row.findings.append(Finding(.invalidRecord, reason: "the record is not a JSON object", rejects: true))
            return row
        }
        for (key, member) in object where !readJSONKeys.contains(key) {
            let text = JSONCell.text(member)
            if !text.isEmpty { row.extras[key] = text }
        }
        if !mapping.activity.isEmpty { row.activity = [:] }
        func values(_ columns: [String]) -> [(String, String)] {
            columns.flatMap { column in Self.lookup(column, in: value).map { (column, $0) } }
        }
        let (rules, slotOrder) = (rules, slotOrder)
        Self.withSlots(rules.count) { slots in
            for (index, rule) in rules.enumerated() {
                // The rule's values, then its concat transform's, as texts with their columns.
                let found = values(rule.rule.columns)
                let concat = rule.concatColumns.map(values) ?? []
                let texts = found.map(\.1) + concat.map(\.1)
                let names = found.map(\.0) + concat.map(\.0)
                Self.apply(
                    rule, texts: texts, names: names, unguard: false, first: found.isEmpty ? nil : 0, all: Array(found.indices),
                    concat: Array(found.count..<texts.count), to: &row, slot: &slots[index])
            }
            Self.fill(&row.fields, from: slots, order: slotOrder)
        }
        finish(&row)
        return row
    }

    /// Non-empty texts at a dotted path; arrays of objects are searched element by element.
    static func lookup(_ path: String, in value: JSON) -> [String] {
        var current = [value]
        for key in path.split(separator: ".") {
            current = current.flatMap { node -> [JSON] in
                if let array = node.array { return array.compactMap { $0[String(key)] } }
                return node[String(key)].map { [$0] } ?? []
            }
        }
        return current.map(JSONCell.text).filter { !$0.trimmed.isEmpty }
    }

    // MARK: Rules

    /// A value slot per rule for the length of `body`.
    private static func withSlots(_ count: Int, _ body: (UnsafeMutableBufferPointer<JSON?>) -> Void) {
        withUnsafeTemporaryAllocation(of: JSON?.self, capacity: count) { slots in
            slots.initialize(repeating: nil)
            body(slots)
            _ = slots.deinitialize()
        }
    }

    /// Puts the slots' values into the fields in name order (for one name the last rule's value,
    /// as when each had been set in turn).
    private static func fill(_ fields: inout FieldValues, from slots: UnsafeMutableBufferPointer<JSON?>, order slotOrder: [SlotEntry]) {
        // Appended in order when nothing else was set yet (a phone's extension or other phones
        // were: then each goes to its place). Values are moved out of their slots, not copied.
        let inOrder = fields.isEmpty
        slotOrder.withUnsafeBufferPointer { order in
            for entry in order {
                if let next = entry.nextRuleOfSameName, slots[next] != nil { continue }
                guard let value = slots[entry.rule].take() else { continue }
                if inOrder { fields.appendInOrder(entry.name, value) } else { fields[entry.name] = value }
            }
        }
    }

    /// Fills one field from a row's non-blank `texts` (under column `names`), given by position:
    /// `first` the rule's first, `all` every one (phones use the rest), `concat` the concat
    /// transform's. `unguard`: a CSV cell's spreadsheet guard is removed.
    private static func apply(
        _ bound: BoundRule, texts: [String], names: [String], unguard: Bool, first: Int?, all found: [Int], concat: [Int],
        to row: inout ImportedRow, slot: inout JSON?
    ) {
        func cell(_ position: Int) -> String { unguard ? unguarded(texts[position]) : texts[position] }
        let (kind, field, activity) = (bound.kind, bound.name, bound.activity)
        // The column a finding names, looked up only when there is one.
        var columnPosition = first
        var column: String? { columnPosition.map { names[$0] } }
        var value = first.map(cell)
        for transform in bound.rule.transforms {
            switch transform {
            case .trim: value = value?.trimmed
            case .lower: value = value?.lowercased()
            case .upper: value = value?.uppercased()
            case .concat(_, let separator):
                let parts = concat.map { cell($0).trimmed }.filter { !$0.isEmpty }
                value = parts.isEmpty ? nil : parts.joined(separator: separator)
                columnPosition = concat.first
            case .constant(let text): value = text
            case .prefix(let text): value = value.map { $0.isEmpty ? $0 : text + $0 }
            case .map(let table): value = value.map { table[$0.trimmed.lowercased()] ?? $0 }
            case .date: break  // read by `bound.date`
            }
        }
        if value?.isBlank ?? true { value = bound.rule.defaultValue }
        guard let text = value else { return }
        func set(_ json: JSON) {
            if bound.usesSlot {
                slot = json
            } else if activity {
                row.activity?[field] = json
            } else {
                row.fields[field] = json
            }
        }
        switch kind {
        case .text:
            set(.string(text.trimmed))
        case .email:
            let cleaned = EmailAddress.cleaned(text)
            guard !cleaned.isEmpty else { return }
            set(.string(cleaned))
            if let key = EmailAddress.key(cleaned) {
                // Only the contact's own email is a matching key; other email fields are just cleaned.
                if bound.isContactEmail { row.emailKey = key }
            } else {
                row.findings.append(Finding(.invalidEmail, column: column, value: text, reason: "not an email address; kept as text, not used to match"))
            }
        case .phone, .phones:
            var phones: [String] = []
            let candidates =
                kind == .phones
                ? found.flatMap { position in cell(position).split(separator: ",").map { (names[found[0]], String($0)) } }
                : found.map { (names[$0], cell($0)) }
            for (index, (source, raw)) in candidates.enumerated() {
                if let parsed = PhoneNumber.parse(raw) {
                    if index == 0, kind == .phone {
                        set(.string(parsed.e164))
                        if bound.isContactPhone {
                            row.phoneKey = parsed.e164
                            if let ext = parsed.extensionDigits { row.fields["phone_extension"] = .string(ext) }
                        }
                    } else if !phones.contains(parsed.e164), parsed.e164 != row.phoneKey {
                        phones.append(parsed.e164)
                    }
                } else if !raw.trimmed.isEmpty {
                    if index == 0, kind == .phone { set(.string(raw.trimmed)) }
                    row.findings.append(Finding(.invalidPhone, column: source, value: raw, reason: "not a phone number; kept as text, not used to match"))
                }
            }
            if !phones.isEmpty, bound.isContactPhone || bound.isAdditionalPhones {
                let existing = row.fields["additional_phones"]?.array ?? []
                row.fields["additional_phones"] = .array(existing + phones.map(JSON.string))
            }
        case .date:
            if let instant = bound.date.parse(text) {
                set(.string(Timestamp.format(instant)))
            } else {
                row.findings.append(Finding(.invalidDate, column: column, value: text, reason: "not a date liqsync reads; left empty"))
            }
        case .tags:
            let tags = TagList.parse(text)
            if !tags.isEmpty { set(.array(tags.map(JSON.string))) }
        case .status:
            if let status = ContactStatus.canonical(text) {
                set(.string(status))
            } else {
                set(.string(text.trimmed))
                row.findings.append(Finding(.unknownStatus, column: column, value: text, reason: "not a LocaliQ status; kept as it is"))
            }
        case .duration:
            if let seconds = CallDuration.seconds(text) {
                set(.number(Double(seconds)))
            } else {
                row.findings.append(Finding(.invalidDuration, column: column, value: text, reason: "not a duration (seconds, MM:SS or HH:MM:SS); left empty"))
            }
        case .channel:
            set(.string(text.trimmed.lowercased()))
        }
    }

    /// Rules that need the whole row: names from `display_name`, keys, required fields, placeholders.
    private func finish(_ row: inout ImportedRow) {
        if row.fields["first_name"] == nil, row.fields["last_name"] == nil, let display = row.text("display_name"),
            let (first, last) = PersonName.split(displayName: display)
        {
            if !first.isEmpty { row.fields["first_name"] = .string(first) }
            if !last.isEmpty { row.fields["last_name"] = .string(last) }
        }
        row.sourceId = row.text("id").flatMap { $0.isEmpty ? nil : $0 }
        for group in mapping.requiredAnyOf where !group.contains(where: { row.fields[$0] != nil }) {
            row.findings.append(
                Finding(
                    .missingRequired, column: group.joined(separator: "|"),
                    reason: group.count == 1 ? "\(group[0]) is required and empty" : "one of \(group.joined(separator: ", ")) is required; all are empty",
                    rejects: true))
        }
        if row.isRejected {
            row.status = .rejected
        } else if let key = row.emailKey, mapping.placeholderEmails.contains(key) {
            row.status = .excluded
            row.findings.append(Finding(.placeholder, column: "email", value: key, reason: "a LocaliQ placeholder contact; staged but not synced"))
        } else if row.sourceId == nil, row.emailKey == nil, row.phoneKey == nil, !mapping.activity.isEmpty {
            row.status = .excluded
            row.findings.append(Finding(.noContactKey, reason: "no contact id, email or phone; kept for reports, not synced"))
        }
    }
}
