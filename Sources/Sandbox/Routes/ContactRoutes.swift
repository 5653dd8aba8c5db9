import Foundation
import Hummingbird

/// `/contacts/…`: get, create, update, delete, upsert, duplicate search, the search endpoint,
/// the deprecated list and the business listing.
struct ContactRoutes {
    let store: SandboxStore

    func register(on router: RouterGroup<SandboxRequestContext>) {
        let store = self.store
        router.post("contacts/") { request, _ in
            var request = request
            let contact = try await store.createContact(try await request.bodyData())
            return JSONResponse.make(.object(["contact": contact.createdRepresentation()]), status: 201)
        }
        router.get("contacts/") { request, _ in
            let (page, limit) = try await store.list(query: request.queryDictionary)
            return JSONResponse.make(Self.listBody(page, limit: limit, request: request, locationId: store.locationId))
        }
        router.post("contacts/search") { request, _ in
            var request = request
            let page = try await store.search(try await request.bodyData())
            let contacts = zip(page.contacts, page.cursors).map { $0.searchRepresentation(searchAfter: $1) }
            return JSONResponse.make(.object(["contacts": .array(contacts), "total": .number(Double(page.total))]))
        }
        router.get("contacts/search/duplicate") { request, _ in
            let query = request.queryDictionary
            guard let location = query["locationId"], !location.isEmpty else {
                throw SandboxAPIError.unprocessable(["locationId should not be empty"])
            }
            if location != store.locationId { throw SandboxAPIError.locationRefused }
            let found = await store.duplicate(
                email: query["email"].flatMap { $0.isEmpty ? nil : $0 }, phone: query["number"].flatMap { $0.isEmpty ? nil : $0 })
            return JSONResponse.make(.object(["contact": found?.fullRepresentation() ?? .null]))
        }
        router.post("contacts/upsert") { request, _ in
            var request = request
            let result = try await store.upsertContact(try await request.bodyData())
            return JSONResponse.make(
                .object([
                    "new": .bool(result.isNew), "contact": result.contact.fullRepresentation(),
                    "traceId": .string(UUID().uuidString.lowercased()),
                ]))
        }
        router.get("contacts/business/:businessId") { request, context in
            let page = try await store.contacts(ofBusiness: context.pathParameter("businessId"), query: request.queryDictionary)
            return JSONResponse.make(
                .object(["contacts": .array(page.contacts.map { $0.listRepresentation() }), "count": .number(Double(page.total))]))
        }
        router.get("contacts/:contactId") { _, context in
            let contact = try await store.contact(context.pathParameter("contactId"))
            return JSONResponse.make(.object(["contact": contact.fullRepresentation()]))
        }
        router.put("contacts/:contactId") { request, context in
            var request = request
            let contact = try await store.updateContact(context.pathParameter("contactId"), try await request.bodyData())
            return JSONResponse.make(.object(["succeded": .bool(true), "contact": contact.fullRepresentation()]))
        }
        router.delete("contacts/:contactId") { _, context in
            try await store.deleteContact(context.pathParameter("contactId"))
            return JSONResponse.make(.object(["succeded": .bool(true)]))
        }
    }

    /// `{ contacts, count, meta }`: `meta` follows the spec's (unreferenced) `ContactsMetaSchema`.
    private static func listBody(_ page: ContactPage, limit: Int, request: Request, locationId: String) -> JSONValue {
        let currentPage = page.startIndex / max(limit, 1) + 1
        let hasMore = page.startIndex + page.contacts.count < page.total
        var meta: [String: JSONValue] = [
            "total": .number(Double(page.total)),
            "currentPage": .number(Double(currentPage)),
            "prevPage": currentPage > 1 ? .number(Double(currentPage - 1)) : .null,
        ]
        if let last = page.contacts.last, hasMore {
            let startAfter = SandboxTime.epochMilliseconds(last.dateAdded)
            meta["startAfterId"] = .string(last.id)
            meta["startAfter"] = .number(Double(startAfter))
            meta["nextPage"] = .number(Double(currentPage + 1))
            let host = request.head.authority ?? "127.0.0.1"
            meta["nextPageUrl"] = .string(
                "http://\(host)/contacts/?locationId=\(locationId)&limit=\(limit)&startAfter=\(startAfter)&startAfterId=\(last.id)")
        } else {
            meta["nextPage"] = .null
        }
        return .object([
            "contacts": .array(page.contacts.map { $0.listRepresentation() }),
            "count": .number(Double(page.total)),
            "meta": .object(meta),
        ])
    }
}
