import Foundation
import Sandbox
import Testing

/// Walking every listing yields every contact exactly once, at the sizes where paging breaks.
@Suite("Sandbox paging")
struct SandboxPagingTests {
    /// Search with page/pageLimit while it may, then `searchAfter` from the last record.
    static func walkSearch(_ api: SandboxHTTP, location: String, pageLimit: Int, pagesFirst: Bool) async throws -> [String] {
        var ids: [String] = []
        var page = 1
        var cursor: TestJSON?
        while true {
            var body: [String: Any] = ["locationId": location, "pageLimit": pageLimit]
            if pagesFirst, cursor == nil, page * pageLimit <= 10_000 {
                body["page"] = page
            } else if let cursor {
                body["searchAfter"] = try JSONSerialization.jsonObject(with: JSONEncoderForTest.encode(cursor))
            }
            let reply = try await api.send("POST", "/contacts/search", json: body)
            #expect(reply.status == 200, "\(String(decoding: reply.data, as: UTF8.self))")
            let contacts = reply.body["contacts"]?.array ?? []
            ids += contacts.compactMap { $0["id"]?.string }
            if contacts.count < pageLimit || reply.status != 200 { break }
            if pagesFirst, cursor == nil, (page + 1) * pageLimit <= 10_000 {
                page += 1
            } else {
                cursor = contacts.last?["searchAfter"]
            }
        }
        return ids
    }

    static func walkDeprecatedList(_ api: SandboxHTTP, location: String) async throws -> [String] {
        var ids: [String] = []
        var query = "locationId=\(location)&limit=100"
        while true {
            let reply = try await api.send("GET", "/contacts/?\(query)")
            #expect(reply.status == 200)
            let contacts = reply.body["contacts"]?.array ?? []
            ids += contacts.compactMap { $0["id"]?.string }
            guard let after = reply.body["meta"]?["startAfter"]?.number, let afterId = reply.body["meta"]?["startAfterId"]?.string
            else { break }
            query = "locationId=\(location)&limit=100&startAfter=\(Int64(after))&startAfterId=\(afterId)"
        }
        return ids
    }

    @Test("search pages, searchAfter and the deprecated list each yield every contact once", arguments: [0, 1, 100, 101, 10_001])
    func everyContactOnce(count: Int) async throws {
        var configuration = SandboxConfiguration.testing(contacts: count)
        configuration.rateLimit = .off
        try await SandboxServer.withRunning(configuration) { sandbox async throws in
            let api = SandboxHTTP(sandbox.info)
            let expected = Set(await sandbox.store.allContacts().map(\.id))
            #expect(expected.count == count)
            let location = sandbox.info.locationId

            let paged = try await Self.walkSearch(api, location: location, pageLimit: 500, pagesFirst: true)
            #expect(paged.count == count)
            #expect(Set(paged) == expected)

            let cursorOnly = try await Self.walkSearch(api, location: location, pageLimit: 100, pagesFirst: false)
            #expect(cursorOnly.count == count)
            #expect(Set(cursorOnly) == expected)

            let listed = try await Self.walkDeprecatedList(api, location: location)
            #expect(listed.count == count)
            #expect(Set(listed) == expected)
        }
    }

    @Test("page/pageLimit stops at 10,000 records and pageLimit stops at 500")
    func pagingLimits() async throws {
        try await SandboxServer.withRunning(.testing()) { sandbox async throws in
            let api = SandboxHTTP(sandbox.info)
            let location = sandbox.info.locationId
            #expect(try await api.send("POST", "/contacts/search", json: ["locationId": location, "page": 21, "pageLimit": 500]).status == 400)
            #expect(try await api.send("POST", "/contacts/search", json: ["locationId": location, "page": 20, "pageLimit": 500]).status == 200)
            #expect(try await api.send("POST", "/contacts/search", json: ["locationId": location, "pageLimit": 501]).status == 422)
            #expect(try await api.send("POST", "/contacts/search", json: ["locationId": location]).status == 422)
            #expect(try await api.send("GET", "/contacts/?locationId=\(location)&limit=101").status == 422)
        }
    }

    @Test("filters, sort and query narrow and order the search")
    func filtersAndSort() async throws {
        try await SandboxServer.withRunning(.testing(contacts: 300)) { sandbox async throws in
            let api = SandboxHTTP(sandbox.info)
            let location = sandbox.info.locationId
            let all = await sandbox.store.allContacts()
            let pivot = all.map(\.dateUpdated).sorted()[150]
            let pivotMs = Int64(pivot.timeIntervalSince1970 * 1000)

            let reply = try await api.send("POST", "/contacts/search", json: [
                "locationId": location, "pageLimit": 500,
                "filters": [["field": "dateUpdated", "operator": "range", "value": ["gte": pivotMs]]],
                "sort": [["field": "dateUpdated", "direction": "desc"]],
            ])
            let contacts = reply.body["contacts"]?.array ?? []
            #expect(reply.body["total"]?.int == all.filter { $0.dateUpdated >= pivot }.count)
            let times = contacts.compactMap { $0["dateUpdated"]?.string }
            #expect(times == times.sorted(by: >))

            let tagged = all.filter { $0.tags.contains("vip") }.count
            let vip = try await api.send("POST", "/contacts/search", json: [
                "locationId": location, "pageLimit": 500,
                "filters": [["field": "tags", "operator": "eq", "value": "vip"]],
            ])
            #expect(vip.body["total"]?.int == tagged)

            let someone = try #require(all.first { $0.email != nil })
            let found = try await api.send("POST", "/contacts/search", json: [
                "locationId": location, "pageLimit": 10, "query": someone.email ?? "",
            ])
            #expect(found.body["contacts"]?[0]?["id"]?.string == someone.id)

            let group = try await api.send("POST", "/contacts/search", json: [
                "locationId": location, "pageLimit": 500,
                "filters": [["group": "OR", "filters": [
                    ["field": "city", "operator": "eq", "value": "Austin"], ["field": "city", "operator": "eq", "value": "Denver"],
                ]]],
            ])
            #expect(group.body["total"]?.int == all.filter { $0.city == "Austin" || $0.city == "Denver" }.count)

            let unknown = try await api.send("POST", "/contacts/search", json: [
                "locationId": location, "pageLimit": 5, "filters": [["field": "shoeSize", "operator": "eq", "value": 9]],
            ])
            #expect(unknown.status == 422)
        }
    }
}

/// Encodes a parsed cursor back to JSON, exactly as received.
enum JSONEncoderForTest {
    static func encode(_ value: TestJSON) throws -> Data {
        Data(render(value).utf8)
    }

    private static func render(_ value: TestJSON) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .string(let s): "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .array(let items): "[" + items.map(render).joined(separator: ",") + "]"
        case .object(let members): "{" + members.map { "\"\($0.key)\":\(render($0.value))" }.joined(separator: ",") + "}"
        }
    }
}
