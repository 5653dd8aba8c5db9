import Foundation

/// One sort position of a contact: a number (times, as epoch ms), a string, or missing.
enum SortKey: Equatable {
    case missing
    case number(Double)
    case string(String)

    var json: JSONValue {
        switch self {
        case .missing: .null
        case .number(let n): .number(n)
        case .string(let s): .string(s)
        }
    }

    init(_ value: JSONValue) {
        switch value {
        case .number(let n): self = .number(n)
        case .string(let s): self = .string(s)
        default: self = .missing
        }
    }

    /// Ascending order within one field; missing values sort last whatever the direction,
    /// as in HighLevel's search engine.
    static func ordered(_ a: SortKey, _ b: SortKey, descending: Bool) -> Bool? {
        switch (a, b) {
        case (.missing, .missing): return nil
        case (.missing, _): return false
        case (_, .missing): return true
        case (.number(let x), .number(let y)): return x == y ? nil : (descending ? x > y : x < y)
        case (.string(let x), .string(let y)): return x == y ? nil : (descending ? x > y : x < y)
        case (.number, .string): return !descending
        case (.string, .number): return descending
        }
    }
}

/// The contacts matching one query, in its order, with each one's sort keys (the last key is
/// the id, which breaks ties and makes every position unique).
struct ListingOrder {
    var ids: [String]
    var keys: [[SortKey]]
    var descending: [Bool]

    func precedes(_ a: [SortKey], _ b: [SortKey]) -> Bool {
        for index in 0..<min(a.count, b.count) {
            if let result = SortKey.ordered(a[index], b[index], descending: descending[index]) { return result }
        }
        return false
    }

    /// The index of the first contact strictly after `cursor`.
    func index(after cursor: [SortKey]) -> Int {
        var low = 0
        var high = ids.count
        while low < high {
            let mid = (low + high) / 2
            if precedes(cursor, keys[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}

/// A page of contacts and the total the query matched.
struct ContactPage {
    var contacts: [SandboxContact]
    var cursors: [[JSONValue]]
    var total: Int
    var startIndex: Int
}

extension SandboxStore {
    static let searchFields: [String: RequestBody.Kind] = [
        "locationId": .string, "page": .any, "pageLimit": .any, "searchAfter": .array,
        "filters": .array, "sort": .array, "query": .string,
    ]

    /// `POST /contacts/search`: `page`/`pageLimit` within the first 10,000 records, `searchAfter`
    /// beyond. Each record carries its own cursor.
    func search(_ data: Data) throws(SandboxAPIError) -> ContactPage {
        let body = try RequestBody(data: data, allowed: Self.searchFields, required: ["locationId", "pageLimit"])
        try body.validate()
        if body.string("locationId") != locationId { throw .locationRefused }
        guard let pageLimit = body.members["pageLimit"]?.numberValue, pageLimit.rounded() == pageLimit else {
            throw .unprocessable(["pageLimit must be an integer number"])
        }
        guard (1...500).contains(Int(pageLimit)) else {
            throw .unprocessable(["pageLimit must not be greater than 500", "pageLimit must not be less than 1"])
        }
        let limit = Int(pageLimit)
        let query = try ContactQuery(
            filters: body.members["filters"], sort: body.members["sort"], query: body.string("query"))
        let order = listing(query)
        let start: Int
        if let searchAfter = body.members["searchAfter"]?.arrayValue {
            if body.has("page") { throw .unprocessable(["page and searchAfter cannot be used together"]) }
            guard searchAfter.count == query.sort.count + 1 else {
                throw .unprocessable(["searchAfter must be the searchAfter value of a returned contact"])
            }
            start = order.index(after: searchAfter.map(SortKey.init))
        } else {
            let pageValue = body.members["page"]?.numberValue ?? 1
            guard pageValue >= 1, pageValue.rounded() == pageValue else {
                throw .unprocessable(["page must not be less than 1"])
            }
            let page = Int(pageValue)
            guard page * limit <= 10_000 else {
                throw .badRequest(
                    "page and pageLimit can reach only the first 10000 records; use searchAfter to go further")
            }
            start = (page - 1) * limit
        }
        return page(of: order, from: start, limit: limit)
    }

    /// The deprecated `GET /contacts/`: oldest first, cursor (`startAfter` epoch ms, `startAfterId`).
    func list(query: [String: String]) throws(SandboxAPIError) -> (page: ContactPage, limit: Int) {
        guard let location = query["locationId"], !location.isEmpty else {
            throw .unprocessable(["locationId should not be empty"])
        }
        if location != locationId { throw .locationRefused }
        let limit = Int(query["limit"] ?? "20") ?? -1
        guard (1...100).contains(limit) else { throw .unprocessable(["limit must not be greater than 100"]) }
        var text: String?
        if let q = query["query"], !q.isEmpty { text = q }
        let contactQuery = try ContactQuery(
            filters: nil, sort: .array([.object(["field": .string("dateAdded"), "direction": .string("asc")])]),
            query: text)
        let order = listing(contactQuery)
        var start = 0
        if let afterId = query["startAfterId"], !afterId.isEmpty {
            if let startAfter = query["startAfter"].flatMap(Double.init) {
                start = order.index(after: [.number(startAfter), .string(afterId)])
            } else if let known = contacts[afterId] {
                start = order.index(after: sortKeys(known, contactQuery))
            } else {
                throw .badRequest("startAfterId does not name a contact of this location")
            }
        } else if let startAfter = query["startAfter"].flatMap(Double.init) {
            start = order.index(after: [.number(startAfter), .string("\u{10FFFF}")])
        }
        return (page(of: order, from: start, limit: limit), limit)
    }

    /// `GET /contacts/business/:businessId`: `limit`/`skip` as strings, as the spec types them.
    func contacts(ofBusiness businessId: String, query: [String: String]) throws(SandboxAPIError) -> ContactPage {
        guard let location = query["locationId"], !location.isEmpty else {
            throw .unprocessable(["locationId should not be empty"])
        }
        if location != locationId { throw .locationRefused }
        let limit = Int(query["limit"] ?? "25") ?? -1
        let skip = Int(query["skip"] ?? "0") ?? -1
        guard (1...100).contains(limit), skip >= 0 else {
            throw .unprocessable(["limit must be a number string between 1 and 100", "skip must be a number string"])
        }
        let contactQuery = try ContactQuery(
            filters: .array([
                .object(["field": .string("businessId"), "operator": .string("eq"), "value": .string(businessId)])
            ]),
            sort: .array([.object(["field": .string("dateAdded"), "direction": .string("asc")])]),
            query: query["query"].flatMap { $0.isEmpty ? nil : $0 })
        return page(of: listing(contactQuery), from: skip, limit: limit)
    }

    private func page(of order: ListingOrder, from start: Int, limit: Int) -> ContactPage {
        let range = min(start, order.ids.count)..<min(start + limit, order.ids.count)
        let selected = range.compactMap { contacts[order.ids[$0]] }
        let cursors = range.map { order.keys[$0].map(\.json) }
        return ContactPage(contacts: selected, cursors: cursors, total: order.ids.count, startIndex: range.lowerBound)
    }

    /// The ordered matches of a query, cached until the next contact change.
    private func listing(_ query: ContactQuery) -> ListingOrder {
        if let cached = listingCache[query.cacheKey] { return cached }
        var rows: [(String, [SortKey])] = []
        rows.reserveCapacity(contacts.count)
        for contact in contacts.values where query.matches(contact) {
            rows.append((contact.id, sortKeys(contact, query)))
        }
        var order = ListingOrder(ids: [], keys: [], descending: query.sort.map(\.descending) + [false])
        rows.sort { order.precedes($0.1, $1.1) }
        order.ids = rows.map(\.0)
        order.keys = rows.map(\.1)
        if listingCache.count > 16 { listingCache.removeAll() }
        listingCache[query.cacheKey] = order
        return order
    }

    private func sortKeys(_ contact: SandboxContact, _ query: ContactQuery) -> [SortKey] {
        query.sort.map { field in
            ContactQuery.fieldValue(field.field, of: contact).map(SortKey.init) ?? .missing
        } + [.string(contact.id)]
    }
}
