import Foundation

/// One page of `POST /contacts/search`.
public struct SearchPage: Sendable {
    public var contacts: [Contact]
    public var total: Int?
    /// The `searchAfter` cursor of the last record, to ask for the next page.
    public var nextCursor: JSON?
}

/// One page of the deprecated `GET /contacts/`.
public struct ListPage: Sendable {
    public var contacts: [Contact]
    public var total: Int?
    public var startAfter: Double?
    public var startAfterId: String?
}

/// What `POST /contacts/search` is asked for. Only set members are sent.
public struct ContactSearch: Sendable {
    public var pageLimit: Int
    public var page: Int?
    public var searchAfter: JSON?
    public var filters: [JSON] = []
    public var sort: [(field: String, descending: Bool)] = []
    public var query: String?

    public init(pageLimit: Int, page: Int? = nil, searchAfter: JSON? = nil) {
        self.pageLimit = pageLimit
        self.page = page
        self.searchAfter = searchAfter
    }
}

extension HighLevelClient {
    public func contact(_ id: String) async throws -> Contact {
        let json = try await call("GET", "/contacts/\(Self.segment(id))")
        return try Self.decodeContact(json["contact"], "GET", "/contacts/:id")
    }

    /// `POST /contacts/`. `fields` use the write shape (`customFields[].field_value`).
    public func createContact(_ fields: [String: JSON]) async throws -> Contact {
        var body = fields
        body["locationId"] = .string(locationId)
        let json = try await call("POST", "/contacts/", body: .object(body), repeatable: .ifNotProcessed)
        return try Self.decodeContact(json["contact"], "POST", "/contacts/")
    }

    /// `PUT /contacts/:id`. Do not send `tags` here (it replaces them all); use `addTags`/`removeTags`.
    public func updateContact(_ id: String, _ fields: [String: JSON]) async throws -> Contact {
        let json = try await call("PUT", "/contacts/\(Self.segment(id))", body: .object(fields))
        return try Self.decodeContact(json["contact"], "PUT", "/contacts/:id")
    }

    public func deleteContact(_ id: String) async throws {
        _ = try await call("DELETE", "/contacts/\(Self.segment(id))")
    }

    /// `POST /contacts/upsert`: returns whether HighLevel created the contact.
    public func upsertContact(_ fields: [String: JSON]) async throws -> (isNew: Bool, contact: Contact) {
        var body = fields
        body["locationId"] = .string(locationId)
        let json = try await call("POST", "/contacts/upsert", body: .object(body))
        return (json["new"]?.bool ?? false, try Self.decodeContact(json["contact"], "POST", "/contacts/upsert"))
    }

    /// `GET /contacts/search/duplicate`: the contact HighLevel's duplicate rules match, if any.
    public func duplicateContact(email: String?, phone: String?) async throws -> Contact? {
        var query = [("locationId", locationId)]
        if let email { query.append(("email", email)) }
        if let phone { query.append(("number", phone)) }
        let json = try await call("GET", "/contacts/search/duplicate", query: query)
        guard let contact = json["contact"], contact != .null else { return nil }
        return Contact(json: contact)
    }

    /// `POST /contacts/search`.
    public func searchContacts(_ search: ContactSearch) async throws -> SearchPage {
        var body: [String: JSON] = ["locationId": .string(locationId), "pageLimit": .number(Double(search.pageLimit))]
        if let page = search.page { body["page"] = .number(Double(page)) }
        if let cursor = search.searchAfter { body["searchAfter"] = cursor }
        if !search.filters.isEmpty { body["filters"] = .array(search.filters) }
        if !search.sort.isEmpty {
            body["sort"] = .array(
                search.sort.map { .object(["field": .string($0.field), "direction": .string($0.descending ? "desc" : "asc")]) })
        }
        if let query = search.query { body["query"] = .string(query) }
        let json = try await call("POST", "/contacts/search", body: .object(body))
        guard let items = json["contacts"]?.array else {
            throw APIError(kind: .malformedResponse, method: "POST", endpoint: "/contacts/search", message: "no contacts list in the answer")
        }
        return SearchPage(
            contacts: items.compactMap(Contact.init(json:)), total: json["total"]?.number.map { Int($0) },
            nextCursor: items.last?["searchAfter"])
    }

    /// The deprecated `GET /contacts/`, oldest first, cursor (`startAfter`, `startAfterId`).
    public func listContacts(limit: Int, startAfter: Double? = nil, startAfterId: String? = nil) async throws -> ListPage {
        var query = [("locationId", locationId), ("limit", String(limit))]
        if let startAfter { query.append(("startAfter", String(Int64(startAfter)))) }
        if let startAfterId { query.append(("startAfterId", startAfterId)) }
        let json = try await call("GET", "/contacts/", query: query)
        guard let items = json["contacts"]?.array else {
            throw APIError(kind: .malformedResponse, method: "GET", endpoint: "/contacts/", message: "no contacts list in the answer")
        }
        return ListPage(
            contacts: items.compactMap(Contact.init(json:)), total: (json["meta"]?["total"] ?? json["count"])?.number.map { Int($0) },
            startAfter: json["meta"]?["startAfter"]?.number, startAfterId: json["meta"]?["startAfterId"]?.text)
    }

    /// `GET /contacts/business/:businessId`.
    public func contacts(ofBusiness businessId: String, limit: Int = 100, skip: Int = 0) async throws -> [Contact] {
        let json = try await call(
            "GET", "/contacts/business/\(Self.segment(businessId))",
            query: [("locationId", locationId), ("limit", String(limit)), ("skip", String(skip))])
        return json["contacts"]?.array?.compactMap(Contact.init(json:)) ?? []
    }

    /// `POST /contacts/:id/tags`: returns the contact's tags after.
    public func addTags(_ tags: [String], to contactId: String) async throws -> [String] {
        let json = try await call("POST", "/contacts/\(Self.segment(contactId))/tags", body: .object(["tags": .array(tags.map(JSON.string))]))
        return json["tags"]?.array?.compactMap(\.text) ?? []
    }

    /// `DELETE /contacts/:id/tags`: returns the contact's tags after.
    public func removeTags(_ tags: [String], from contactId: String) async throws -> [String] {
        let json = try await call("DELETE", "/contacts/\(Self.segment(contactId))/tags", body: .object(["tags": .array(tags.map(JSON.string))]))
        return json["tags"]?.array?.compactMap(\.text) ?? []
    }

    static func decodeContact(_ json: JSON?, _ method: String, _ endpoint: String) throws -> Contact {
        guard let json, let contact = Contact(json: json) else {
            throw APIError(kind: .malformedResponse, method: method, endpoint: endpoint, message: "no contact with an id in the answer")
        }
        return contact
    }
}
