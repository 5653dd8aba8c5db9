import Foundation
import HTTPTypes
import Hummingbird

/// `/_sandbox/…`: not part of HighLevel's API. Tests and scripts use it to change data as if it
/// were edited in HighLevel, read the log of requests received, and steer faults and limits.
/// Every call needs the admin key (header `X-Sandbox-Admin`), which the API tokens are not.
struct AdminRoutes {
    static let prefix = "/_sandbox"

    let sandbox: SandboxServices

    func register(on router: Router<SandboxRequestContext>) {
        let sandbox = self.sandbox
        let group = router.group("_sandbox").add(middleware: AdminKeyMiddleware(key: sandbox.info.adminKey))
        group.get("info") { _, _ in
            JSONResponse.make(data: try Self.encode(sandbox.info), status: 200)
        }
        group.get("requests") { request, _ in
            let after = Int(request.queryDictionary["after"] ?? "0") ?? 0
            return JSONResponse.make(data: try Self.encode(await sandbox.requestLog.entries(after: after)), status: 200)
        }
        group.delete("requests") { _, _ in
            await sandbox.requestLog.clear()
            return Response(status: .noContent)
        }
        group.post("contacts") { request, _ in
            var request = request
            let body = try RequestBody(
                data: try await request.bodyData(),
                allowed: ["firstName": .string, "lastName": .string, "email": .string, "phone": .string, "tags": .stringArray])
            try body.validate()
            let contact = await sandbox.store.insert(
                firstName: body.string("firstName"), lastName: body.string("lastName"), email: body.string("email"),
                phone: body.string("phone"), tags: body.strings("tags") ?? [])
            return JSONResponse.make(.object(["contact": contact.fullRepresentation()]), status: 201)
        }
        group.patch("contacts/:contactId") { request, context in
            var request = request
            let body = try RequestBody(data: try await request.bodyData(), allowed: [:])
            let contact = try await sandbox.store.edit(contact: context.pathParameter("contactId"), fields: body.members)
            return JSONResponse.make(.object(["contact": contact.fullRepresentation()]))
        }
        group.delete("contacts/:contactId") { _, context in
            try await sandbox.store.delete(contact: context.pathParameter("contactId"))
            return Response(status: .noContent)
        }
        group.post("contacts/:contactId/notes") { request, context in
            var request = request
            let body = try RequestBody(data: try await request.bodyData(), allowed: ["body": .string], required: ["body"])
            try body.validate()
            let note = try await sandbox.store.insertNote(contactId: context.pathParameter("contactId"), body: body.string("body") ?? "")
            return JSONResponse.make(.object(["note": note.representation()]), status: 201)
        }
        group.put("faults") { request, _ in
            var request = request
            let text = String(decoding: try await request.bodyData(), as: UTF8.self)
            guard let plan = FaultPlan(parsing: text) else { throw SandboxAPIError.badRequest("Not a fault plan: \(text)") }
            await sandbox.faults.setPlan(plan)
            return Response(status: .noContent)
        }
        group.put("rate-limit") { request, _ in
            var request = request
            let text = String(decoding: try await request.bodyData(), as: UTF8.self)
            guard let policy = RateLimitPolicy(parsing: text) else { throw SandboxAPIError.badRequest("Not a rate limit: \(text)") }
            await sandbox.limiter.setPolicy(policy)
            return Response(status: .noContent)
        }
        group.get("snapshot") { _, _ in
            JSONResponse.make(data: try Self.encode(await sandbox.store.snapshot()), status: 200)
        }
        group.post("save") { _, _ in
            guard let file = sandbox.dataFile else { throw SandboxAPIError.badRequest("The sandbox was started without --data FILE") }
            try await sandbox.store.snapshot().write(to: file)
            return Response(status: .noContent)
        }
    }

    private static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(value)
    }
}

/// Refuses admin calls without the admin key.
struct AdminKeyMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext
    let key: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.headers[.init("X-Sandbox-Admin")!] == key else {
            return JSONResponse.error(SandboxAPIError(status: 401, message: "The admin path needs the X-Sandbox-Admin key", error: "Unauthorized"))
        }
        return try await next(request, context)
    }
}
