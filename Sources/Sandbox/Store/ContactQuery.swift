import Foundation

/// A search body's `filters`, `sort` and `query`, parsed and checked. HighLevel documents the
/// operators `eq`, `not_eq`, `contains`, `not_contains`, `exists`, `not_exists` and `range`, and
/// groups `{ group: AND|OR, filters }`; top-level filters are ANDed.
struct ContactQuery {
    indirect enum Filter {
        case condition(field: String, op: String, value: JSONValue?)
        case group(anyOf: Bool, [Filter])
    }

    struct SortField {
        var field: String
        var descending: Bool
    }

    var filters: [Filter] = []
    var sort: [SortField] = [SortField(field: "dateAdded", descending: true)]
    var text: String?

    static let filterFields: Set<String> = [
        "id", "firstName", "firstNameLowerCase", "lastName", "lastNameLowerCase", "fullNameLowerCase",
        "email", "phone", "companyName", "businessName", "source", "type", "tags", "dnd", "dateAdded",
        "dateUpdated", "country", "city", "state", "postalCode", "address1", "assignedTo", "businessId",
        "website", "timezone",
    ]
    static let sortFields: Set<String> = [
        "dateAdded", "dateUpdated", "firstNameLowerCase", "lastNameLowerCase", "fullNameLowerCase",
        "email", "businessName", "companyName", "id",
    ]
    static let operators: Set<String> = ["eq", "not_eq", "contains", "not_contains", "exists", "not_exists", "range"]

    /// A stable text for the parts that decide order and membership, to key listing caches.
    let cacheKey: String

    init(filters: JSONValue?, sort: JSONValue?, query: String?) throws(SandboxAPIError) {
        var problems: [String] = []
        if let filters {
            guard let items = filters.arrayValue else { throw .unprocessable(["filters must be an array"]) }
            self.filters = items.compactMap { Self.parseFilter($0, problems: &problems) }
        }
        if let sort {
            guard let items = sort.arrayValue else { throw .unprocessable(["sort must be an array"]) }
            var fields: [SortField] = []
            for item in items {
                guard let object = item.objectValue, let field = object["field"]?.stringValue else {
                    problems.append("sort items must be objects with field and direction")
                    continue
                }
                guard Self.sortFields.contains(field) else {
                    problems.append("sort field \(field) is not supported")
                    continue
                }
                let direction = object["direction"]?.stringValue ?? "asc"
                guard direction == "asc" || direction == "desc" else {
                    problems.append("sort direction must be one of the following values: asc, desc")
                    continue
                }
                fields.append(SortField(field: field, descending: direction == "desc"))
            }
            if !fields.isEmpty { self.sort = fields }
        }
        if let query {
            if query.count > 75 { problems.append("query must be shorter than or equal to 75 characters") }
            let trimmed = query.trimmingCharacters(in: .whitespaces).lowercased()
            text = trimmed.isEmpty ? nil : trimmed
        }
        if !problems.isEmpty { throw .unprocessable(problems) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let filterKey = (try? encoder.encode(filters ?? .null)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        cacheKey = "\(filterKey)|\(self.sort.map { "\($0.field):\($0.descending)" })|\(text ?? "")"
    }

    private static func parseFilter(_ value: JSONValue, problems: inout [String]) -> Filter? {
        guard let object = value.objectValue else {
            problems.append("each filter must be an object")
            return nil
        }
        if let group = object["group"]?.stringValue {
            guard group == "AND" || group == "OR" else {
                problems.append("group must be one of the following values: AND, OR")
                return nil
            }
            let inner = (object["filters"]?.arrayValue ?? []).compactMap { parseFilter($0, problems: &problems) }
            return .group(anyOf: group == "OR", inner)
        }
        guard let field = object["field"]?.stringValue, let op = object["operator"]?.stringValue else {
            problems.append("filter must have field and operator")
            return nil
        }
        guard filterFields.contains(field) || field.hasPrefix("customFields.") else {
            problems.append("filter field \(field) is not supported")
            return nil
        }
        guard operators.contains(op) else {
            problems.append("operator must be one of the following values: \(operators.sorted().joined(separator: ", "))")
            return nil
        }
        if let text = object["value"]?.stringValue, text.count > 75 {
            problems.append("filter value must be shorter than or equal to 75 characters")
        }
        if op == "range", object["value"]?.objectValue == nil {
            problems.append("range filter value must be an object with gte, lte, gt or lt")
            return nil
        }
        return .condition(field: field, op: op, value: object["value"])
    }

    // MARK: Evaluation

    func matches(_ contact: SandboxContact) -> Bool {
        if let text {
            let haystack = [contact.name, contact.email, contact.phone, contact.companyName]
                .compactMap { $0?.lowercased() }
            let digits = text.filter(\.isNumber)
            let hit =
                haystack.contains { $0.contains(text) }
                || (digits.count >= 3 && (contact.phone?.contains(digits) ?? false))
                || contact.tags.contains(text)
            if !hit { return false }
        }
        return filters.allSatisfy { Self.evaluate($0, contact) }
    }

    private static func evaluate(_ filter: Filter, _ contact: SandboxContact) -> Bool {
        switch filter {
        case .group(let anyOf, let inner):
            return anyOf ? inner.contains { evaluate($0, contact) } : inner.allSatisfy { evaluate($0, contact) }
        case .condition(let field, let op, let value):
            let actual = fieldValue(field, of: contact)
            switch op {
            case "exists": return !isEmpty(actual)
            case "not_exists": return isEmpty(actual)
            case "eq": return equals(actual, value)
            case "not_eq": return !equals(actual, value)
            case "contains": return contains(actual, value)
            case "not_contains": return !contains(actual, value)
            case "range": return inRange(actual, value?.objectValue ?? [:])
            default: return false
            }
        }
    }

    static func fieldValue(_ field: String, of contact: SandboxContact) -> JSONValue? {
        func text(_ value: String?) -> JSONValue? { value.map(JSONValue.string) }
        switch field {
        case "id": return .string(contact.id)
        case "firstName", "firstNameLowerCase": return text(contact.firstName?.lowercased())
        case "lastName", "lastNameLowerCase": return text(contact.lastName?.lowercased())
        case "fullNameLowerCase": return text(contact.name?.lowercased())
        case "email": return text(contact.email?.lowercased())
        case "phone": return text(contact.phone)
        case "companyName", "businessName": return text(contact.companyName?.lowercased())
        case "source": return text(contact.source?.lowercased())
        case "type": return .string(contact.type)
        case "tags": return .array(contact.tags.map(JSONValue.string))
        case "dnd": return .bool(contact.dnd)
        case "dateAdded": return .number(Double(SandboxTime.epochMilliseconds(contact.dateAdded)))
        case "dateUpdated": return .number(Double(SandboxTime.epochMilliseconds(contact.dateUpdated)))
        case "country": return text(contact.country?.lowercased())
        case "city": return text(contact.city?.lowercased())
        case "state": return text(contact.state?.lowercased())
        case "postalCode": return text(contact.postalCode)
        case "address1": return text(contact.address1?.lowercased())
        case "assignedTo": return text(contact.assignedTo)
        case "businessId": return text(contact.businessId)
        case "website": return text(contact.website?.lowercased())
        case "timezone": return text(contact.timezone)
        default:
            let id = String(field.dropFirst("customFields.".count))
            return contact.customFields.first { $0.id == id }?.value
        }
    }

    private static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null: true
        case .string(let text): text.isEmpty
        case .array(let items): items.isEmpty
        default: false
        }
    }

    private static func normalized(_ value: JSONValue?) -> JSONValue? {
        if case .string(let text) = value { return .string(text.lowercased()) }
        return value
    }

    private static func equals(_ actual: JSONValue?, _ expected: JSONValue?) -> Bool {
        let expected = normalized(expected)
        if case .array(let items) = actual { return items.contains { normalized($0) == expected } }
        if case .number(let number) = actual, let date = expected.flatMap(SandboxTime.parse) {
            return number == Double(SandboxTime.epochMilliseconds(date))
        }
        return normalized(actual) == expected
    }

    private static func contains(_ actual: JSONValue?, _ expected: JSONValue?) -> Bool {
        guard let needle = normalized(expected)?.stringValue else { return false }
        switch actual {
        case .string(let text): return text.lowercased().contains(needle)
        case .array(let items): return items.contains { $0.stringValue?.lowercased().contains(needle) ?? false }
        default: return false
        }
    }

    private static func inRange(_ actual: JSONValue?, _ bounds: [String: JSONValue]) -> Bool {
        guard let actual else { return false }
        func number(_ value: JSONValue) -> Double? {
            if case .number(let n) = value { return n }
            return SandboxTime.parse(value).map { Double(SandboxTime.epochMilliseconds($0)) }
        }
        if case .number(let n) = actual {
            if let gte = bounds["gte"].flatMap(number), n < gte { return false }
            if let gt = bounds["gt"].flatMap(number), n <= gt { return false }
            if let lte = bounds["lte"].flatMap(number), n > lte { return false }
            if let lt = bounds["lt"].flatMap(number), n >= lt { return false }
            return true
        }
        guard let text = actual.stringValue else { return false }
        if let gte = bounds["gte"]?.stringValue, text < gte { return false }
        if let gt = bounds["gt"]?.stringValue, text <= gt { return false }
        if let lte = bounds["lte"]?.stringValue, text > lte { return false }
        if let lt = bounds["lt"]?.stringValue, text >= lt { return false }
        return true
    }
}
