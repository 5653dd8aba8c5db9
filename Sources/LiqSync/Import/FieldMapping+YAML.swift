import Foundation
import Yams

extension FieldMapping {
    /// Reads a mapping file. Throws `ImportError.unusableMapping` naming what is wrong.
    public static func load(_ url: URL) throws -> FieldMapping {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ImportError.unusableMapping(url.path, "it cannot be read as UTF-8 text")
        }
        return try parse(text, path: url.path)
    }

    /// Parses mapping YAML (the built-in profiles are written in the same format).
    public static func parse(_ text: String, path: String) throws -> FieldMapping {
        func fail(_ reason: String) -> ImportError { .unusableMapping(path, reason) }
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw fail("it is not valid YAML")
        }
        guard let root = loaded as? [String: Any] else { throw fail("the top level must be a mapping of settings") }
        let known: Set<String> = [
            "name", "description", "format", "fields", "required", "placeholder_emails", "allow_extra_cells", "day_first", "timezone",
            "activity", "signature", "follow_up_task",
        ]
        if let unknown = root.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("'\(unknown)' is not a setting (known: \(known.sorted().joined(separator: ", ")))")
        }
        guard let name = root["name"] as? String, !name.isEmpty else { throw fail("it needs a 'name'") }
        let format: Format
        if let value = root["format"] {
            guard let text = value as? String, let parsed = Format(rawValue: text) else { throw fail("'format' must be csv, json or any") }
            format = parsed
        } else {
            format = .any
        }
        guard let fieldsNode = root["fields"] else { throw fail("it needs 'fields'") }
        let fields = try parseRules(fieldsNode, section: "fields", fail: fail)
        for rule in fields where !contactFields.contains(rule.field) && !rule.field.hasPrefix("custom.") {
            throw fail("'\(rule.field)' is not a canonical field; use one of \(contactFields.joined(separator: ", ")) or custom.LABEL")
        }
        let activity = try root["activity"].map { try parseRules($0, section: "activity", fail: fail) } ?? []
        for rule in activity where !activityFields.contains("activity." + rule.field) {
            throw fail("'activity.\(rule.field)' is not an activity field; use one of \(activityFields.joined(separator: ", "))")
        }
        var required: [[String]] = []
        if let node = root["required"] {
            guard let list = node as? [Any] else { throw fail("'required' must be a list") }
            for item in list {
                if let field = item as? String {
                    required.append([field])
                } else if let any = (item as? [String: Any])?["any"] as? [String] {
                    required.append(any)
                } else {
                    throw fail("each 'required' entry is a field name or {any: [fields…]}")
                }
            }
        }
        let placeholders = try stringList(root["placeholder_emails"], "placeholder_emails", fail: fail)
        let timezone = root["timezone"] as? String
        if let timezone, TimeZone(identifier: timezone) == nil { throw fail("'\(timezone)' is not a time zone name (use e.g. America/Chicago)") }
        var followUp: FollowUpTaskRule?
        if let node = root["follow_up_task"] {
            guard let settings = node as? [String: Any], let title = settings["title"] as? String, !title.isEmpty else {
                throw fail("'follow_up_task' needs a title (and may set due_days, open_statuses, done_statuses)")
            }
            var rule = FollowUpTaskRule(title: title)
            if let days = settings["due_days"] {
                guard let value = days as? Int, (0...365).contains(value) else { throw fail("'follow_up_task.due_days' must be 0 to 365") }
                rule.dueDays = value
            }
            if settings["open_statuses"] != nil { rule.openStatuses = try stringList(settings["open_statuses"], "follow_up_task.open_statuses", fail: fail) }
            if settings["done_statuses"] != nil { rule.doneStatuses = try stringList(settings["done_statuses"], "follow_up_task.done_statuses", fail: fail) }
            followUp = rule
        }
        var mapping = FieldMapping(
            name: name, summary: root["description"] as? String ?? "", format: format, fields: fields, requiredAnyOf: required,
            placeholderEmails: Set(placeholders.map { $0.lowercased() }), allowExtraCells: root["allow_extra_cells"] as? Bool ?? false,
            dayFirst: root["day_first"] as? Bool ?? false, timezone: timezone,
            activity: activity.map { rule in
                var prefixed = rule
                prefixed.field = "activity." + rule.field
                return prefixed
            },
            signature: try stringList(root["signature"], "signature", fail: fail), digest: FileDigest.sha256(text))
        mapping.followUpTask = followUp
        return mapping
    }

    private static func stringList(_ node: Any?, _ name: String, fail: (String) -> ImportError) throws -> [String] {
        guard let node else { return [] }
        if let single = node as? String { return [single] }
        guard let list = node as? [Any] else { throw fail("'\(name)' must be a list of text") }
        return try list.map {
            guard let text = scalarText($0) else { throw fail("'\(name)' must be a list of text") }
            return text
        }
    }

    /// YAML reads `10` as a number and `yes` as a boolean; mapping values are text.
    private static func scalarText(_ value: Any) -> String? {
        switch value {
        case let text as String: text
        case let number as Int: String(number)
        case let number as Double: String(number)
        case let flag as Bool: flag ? "true" : "false"
        default: nil
        }
    }

    private static func parseRules(_ node: Any, section: String, fail: (String) -> ImportError) throws -> [FieldRule] {
        // An ordered list of single-key maps keeps the file's order; a plain map is accepted too.
        var entries: [(String, Any)] = []
        if let map = node as? [String: Any] {
            entries = map.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        } else if let list = node as? [Any] {
            for item in list {
                guard let map = item as? [String: Any], map.count == 1, let entry = map.first else {
                    throw fail("each entry of '\(section)' is 'field: {columns: […]}'")
                }
                entries.append((entry.key, entry.value))
            }
        } else {
            throw fail("'\(section)' must map field names to rules")
        }
        return try entries.map { field, value in try parseRule(field: field, value, fail: fail) }
    }

    private static func parseRule(field: String, _ value: Any, fail: (String) -> ImportError) throws -> FieldRule {
        if let single = value as? String { return FieldRule(field: field, columns: [single]) }
        if let list = value as? [Any] { return FieldRule(field: field, columns: try stringList(list, field, fail: fail)) }
        guard let map = value as? [String: Any] else { throw fail("the rule for '\(field)' must be a column name, a list, or settings") }
        let known: Set<String> = ["columns", "transforms", "default", "map", "concat", "constant", "prefix", "date"]
        if let unknown = map.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("'\(unknown)' is not a setting of '\(field)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        var rule = FieldRule(field: field, columns: try stringList(map["columns"], "\(field).columns", fail: fail))
        rule.defaultValue = map["default"].flatMap(scalarText)
        for name in try stringList(map["transforms"], "\(field).transforms", fail: fail) {
            switch name {
            case "trim": rule.transforms.append(.trim)
            case "lower": rule.transforms.append(.lower)
            case "upper": rule.transforms.append(.upper)
            case "phone": rule.kindOverride = .phone
            case "email": rule.kindOverride = .email
            case "date": rule.kindOverride = .date
            case "split_tags": rule.kindOverride = .tags
            case "status": rule.kindOverride = .status
            case "duration": rule.kindOverride = .duration
            default:
                throw fail(
                    "'\(name)' is not a transform (known: trim, lower, upper, phone, email, date, split_tags, status, duration; and the settings map, concat, constant, prefix, date)"
                )
            }
        }
        if let concat = map["concat"] {
            guard let settings = concat as? [String: Any] else { throw fail("'\(field).concat' needs columns and a separator") }
            let columns = try stringList(settings["columns"], "\(field).concat.columns", fail: fail)
            guard !columns.isEmpty else { throw fail("'\(field).concat' needs columns") }
            rule.transforms.insert(.concat(columns: columns, separator: settings["separator"].flatMap(scalarText) ?? " "), at: 0)
        }
        if let constant = map["constant"] {
            guard let text = scalarText(constant) else { throw fail("'\(field).constant' must be text") }
            rule.transforms.insert(.constant(text), at: 0)
        }
        if let values = map["map"] {
            guard let table = values as? [AnyHashable: Any] else { throw fail("'\(field).map' must map values to values") }
            var result: [String: String] = [:]
            for (key, value) in table {
                guard let from = scalarText(key.base), let to = scalarText(value) else { throw fail("'\(field).map' must map text to text") }
                result[from.lowercased()] = to
            }
            rule.transforms.append(.map(result))
        }
        if let prefix = map["prefix"] {
            guard let text = scalarText(prefix) else { throw fail("'\(field).prefix' must be text") }
            rule.transforms.append(.prefix(text))
        }
        if let date = map["date"] {
            guard let settings = date as? [String: Any] else { throw fail("'\(field).date' takes format and zone") }
            let zone = settings["zone"] as? String
            if let zone, TimeZone(identifier: zone) == nil { throw fail("'\(zone)' is not a time zone name") }
            rule.transforms.append(.date(format: settings["format"] as? String, zone: zone))
            rule.kindOverride = rule.kindOverride ?? .date
        }
        if rule.columns.isEmpty, !rule.transforms.contains(where: { if case .concat = $0 { true } else if case .constant = $0 { true } else { false } }),
            rule.defaultValue == nil
        {
            throw fail("'\(field)' names no columns, constant or default")
        }
        return rule
    }
}
