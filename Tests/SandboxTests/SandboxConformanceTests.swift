import Foundation
import Sandbox
import Testing

/// Every endpoint the project calls, answered by the sandbox and checked against HighLevel's
/// official OpenAPI files in `../shared/ghl-api/`, with the documented status codes.
@Suite("Sandbox conformance with the official spec")
struct SandboxConformanceTests {
    static let contactsSpec = "apps/contacts.json"
    /// The search response schema was dropped from the current spec; the older revision still has it.
    static let searchSpec = "history/de87e88/apps/contacts.json"
    static let commonSpec = "common/common-schemas.json"

    let validator: OpenAPIValidator

    init() throws {
        let root = try #require(
            OpenAPIValidator.locateSpecs(), "HighLevel's OpenAPI files were not found at ../shared/ghl-api beside the checkout")
        validator = OpenAPIValidator(root: root)
    }

    /// Checks status and body against the operation's documented response.
    func expect(
        _ reply: SandboxHTTP.Reply, _ method: String, _ specPath: String, status: Int, spec: String = contactsSpec,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(reply.status == status, "\(method) \(specPath): \(String(decoding: reply.data, as: UTF8.self))", sourceLocation: sourceLocation)
        let (schema, file) = try validator.responseSchema(file: spec, path: specPath, method: method, status: status)
        let problems = try validator.validate(reply.body, schema: schema, file: file)
        #expect(problems.isEmpty, "\(method) \(specPath) \(status): \(problems)", sourceLocation: sourceLocation)
    }

    @Test("every endpoint answers with the documented status and schema")
    func endpointsConform() async throws {
        try await SandboxServer.withRunning(.testing(contacts: 30)) { sandbox async throws in
            let api = SandboxHTTP(sandbox.info)
            let location = sandbox.info.locationId
            let everyone = await sandbox.store.allContacts()
            let someone = try #require(everyone.first { $0.businessId != nil && $0.email != nil })

            let created = try await api.send("POST", "/contacts/", json: [
                "locationId": location, "firstName": "Robin", "lastName": "Vale", "email": "robin.vale@example.com",
                "phone": "+1 312 555 0142", "tags": ["New", "LocaliQ"], "source": "public api",
            ])
            try expect(created, "POST", "/contacts/", status: 201)
            let id = try #require(created.body["contact"]?["id"]?.string)

            try expect(try await api.send("GET", "/contacts/\(id)"), "GET", "/contacts/{contactId}", status: 200)
            try expect(
                try await api.send("PUT", "/contacts/\(id)", json: ["city": "Austin", "tags": ["vip"]]), "PUT",
                "/contacts/{contactId}", status: 200)
            try expect(
                try await api.send("POST", "/contacts/upsert", json: ["locationId": location, "email": "robin.vale@example.com", "firstName": "Rob"]),
                "POST", "/contacts/upsert", status: 200)
            try expect(
                try await api.send("POST", "/contacts/search", json: ["locationId": location, "page": 1, "pageLimit": 10]), "POST",
                "/contacts/search", status: 200, spec: Self.searchSpec)
            try expect(
                try await api.send("GET", "/contacts/?locationId=\(location)&limit=10"), "GET", "/contacts/", status: 200)
            try expect(
                try await api.send("GET", "/contacts/business/\(someone.businessId ?? "none")?locationId=\(location)"), "GET",
                "/contacts/business/{businessId}", status: 200)

            let task = try await api.send(
                "POST", "/contacts/\(id)/tasks", json: ["title": "Call back", "dueDate": "2026-12-01T15:00:00Z", "completed": false])
            try expect(task, "POST", "/contacts/{contactId}/tasks", status: 201)
            let taskId = try #require(task.body["task"]?["id"]?.string)
            try expect(try await api.send("GET", "/contacts/\(id)/tasks"), "GET", "/contacts/{contactId}/tasks", status: 200)
            try expect(try await api.send("GET", "/contacts/\(id)/tasks/\(taskId)"), "GET", "/contacts/{contactId}/tasks/{taskId}", status: 200)
            try expect(
                try await api.send("PUT", "/contacts/\(id)/tasks/\(taskId)", json: ["title": "Call back today"]), "PUT",
                "/contacts/{contactId}/tasks/{taskId}", status: 200)
            try expect(
                try await api.send("PUT", "/contacts/\(id)/tasks/\(taskId)/completed", json: ["completed": true]), "PUT",
                "/contacts/{contactId}/tasks/{taskId}/completed", status: 200)

            let note = try await api.send("POST", "/contacts/\(id)/notes", json: ["body": "Asked for a quote.", "title": "Call"])
            try expect(note, "POST", "/contacts/{contactId}/notes", status: 201)
            let noteId = try #require(note.body["note"]?["id"]?.string)
            try expect(try await api.send("GET", "/contacts/\(id)/notes"), "GET", "/contacts/{contactId}/notes", status: 200)
            try expect(try await api.send("GET", "/contacts/\(id)/notes/\(noteId)"), "GET", "/contacts/{contactId}/notes/{id}", status: 200)
            try expect(
                try await api.send("PUT", "/contacts/\(id)/notes/\(noteId)", json: ["body": "Quote sent."]), "PUT",
                "/contacts/{contactId}/notes/{id}", status: 200)

            try expect(
                try await api.send("GET", "/contacts/\(someone.id)/appointments"), "GET", "/contacts/{contactId}/appointments", status: 200)
            try expect(
                try await api.send("POST", "/contacts/\(id)/tags", json: ["tags": ["hot"]]), "POST", "/contacts/{contactId}/tags", status: 201)
            try expect(
                try await api.send("DELETE", "/contacts/\(id)/tags", json: ["tags": ["hot"]]), "DELETE", "/contacts/{contactId}/tags", status: 200)

            try expect(try await api.send("DELETE", "/contacts/\(id)/notes/\(noteId)"), "DELETE", "/contacts/{contactId}/notes/{id}", status: 200)
            try expect(try await api.send("DELETE", "/contacts/\(id)/tasks/\(taskId)"), "DELETE", "/contacts/{contactId}/tasks/{taskId}", status: 200)
            try expect(try await api.send("DELETE", "/contacts/\(id)"), "DELETE", "/contacts/{contactId}", status: 200)

            let duplicate = try await api.send("GET", "/contacts/search/duplicate?locationId=\(location)&email=\(someone.email ?? "")")
            #expect(duplicate.status == 200)
            #expect(duplicate.body["contact"]?["id"]?.string == (someone.email == nil ? nil : someone.id))
        }
    }

    @Test("errors carry HighLevel's bodies: 400, 401, 422")
    func errorBodiesConform() async throws {
        try await SandboxServer.withRunning(.testing()) { sandbox async throws in
            var api = SandboxHTTP(sandbox.info)
            let id = try #require(await sandbox.store.allContacts().first?.id)

            let invalid = try await api.send("POST", "/contacts/\(id)/tasks", json: ["body": "no title", "colour": "red"])
            try expect(invalid, "POST", "/contacts/{contactId}/tasks", status: 422)
            let messages = invalid.body["message"]?.array?.compactMap(\.string) ?? []
            #expect(messages.contains("property colour should not exist"))
            #expect(messages.contains("title should not be empty"))

            let malformed = try await api.send("PUT", "/contacts/\(id)", rawBody: Data("{not json".utf8), headers: ["Content-Type": "application/json"])
            try expect(malformed, "PUT", "/contacts/{contactId}", status: 400)

            api.token = "pit-not-a-real-token"
            try expect(try await api.send("GET", "/contacts/\(id)"), "GET", "/contacts/{contactId}", status: 401)
        }
    }

    @Test("a read-only token is refused on every write, as HighLevel refuses it")
    func readOnlyTokenRefusedOnWrites() async throws {
        try await SandboxServer.withRunning(.testing()) { sandbox async throws in
            let api = SandboxHTTP(sandbox.info, token: sandbox.info.readOnlyToken)
            let location = sandbox.info.locationId
            let id = try #require(await sandbox.store.allContacts().first?.id)
            let writes: [(String, String, [String: Any])] = [
                ("POST", "/contacts/", ["locationId": location, "firstName": "X"]),
                ("PUT", "/contacts/\(id)", ["city": "X"]),
                ("DELETE", "/contacts/\(id)", [:]),
                ("POST", "/contacts/upsert", ["locationId": location, "email": "x@example.com"]),
                ("POST", "/contacts/\(id)/tasks", ["title": "X", "dueDate": "2026-12-01T00:00:00Z", "completed": false]),
                ("POST", "/contacts/\(id)/notes", ["body": "X"]),
                ("POST", "/contacts/\(id)/tags", ["tags": ["x"]]),
                ("DELETE", "/contacts/\(id)/tags", ["tags": ["x"]]),
            ]
            for (method, path, body) in writes {
                let reply = try await api.send(method, path, json: body.isEmpty ? nil : body)
                #expect(reply.status == 401, "\(method) \(path)")
                #expect(reply.body["message"]?.string == "The token is not authorized for this scope.")
            }
            #expect(try await api.send("GET", "/contacts/\(id)").status == 200)
            #expect(try await api.send("POST", "/contacts/search", json: ["locationId": location, "pageLimit": 5]).status == 200)
            #expect(try await sandbox.store.contact(id).city != "X")
        }
    }

    @Test("the Version header and locationId are checked; unknown paths are 404")
    func versionLocationAndUnknownPaths() async throws {
        try await SandboxServer.withRunning(.testing()) { sandbox async throws in
            var api = SandboxHTTP(sandbox.info)
            let id = try #require(await sandbox.store.allContacts().first?.id)

            api.version = nil
            let missing = try await api.send("GET", "/contacts/\(id)")
            #expect(missing.status == 400)
            #expect(missing.body["message"]?.string == "Version header was not found")
            api.version = "v3"
            #expect(try await api.send("GET", "/contacts/\(id)").status == 400)
            api.version = "2021-07-28"

            let otherLocation = try await api.send("POST", "/contacts/search", json: ["locationId": "someoneElse", "pageLimit": 5])
            #expect(otherLocation.status == 403)
            #expect(otherLocation.body["message"]?.string == "The token does not have access to this location.")

            let unknown = try await api.send("GET", "/contacts/\(id)/opportunities")
            #expect(unknown.status == 404)
            #expect(unknown.body["statusCode"]?.int == 404)
            let gone = try await api.send("GET", "/contacts/doesNotExist0000000")
            #expect(gone.status == 404)
        }
    }
}
