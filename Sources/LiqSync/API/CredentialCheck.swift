import Foundation

/// What `liqsync auth test` found for one resource.
public struct ResourceCheck: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        case ok
        case missingScope = "missing scope"
        case error
    }

    public var resource: String
    public var outcome: Outcome
    public var detail: String
}

/// One harmless call per resource to see what the credential may do: contacts, tasks, notes and
/// appointments are read; the write scope is probed with a tag request HighLevel refuses as
/// empty (422) when the scope is there, so nothing is ever changed.
public struct CredentialCheck: Sendable {
    public let client: HighLevelClient

    public init(client: HighLevelClient) {
        self.client = client
    }

    public func run() async -> [ResourceCheck] {
        var results: [ResourceCheck] = []
        var contactId: String?
        do {
            let page = try await client.searchContacts(ContactSearch(pageLimit: 1))
            contactId = page.contacts.first?.id
            results.append(ResourceCheck(resource: "contacts", outcome: .ok, detail: "\(page.total ?? page.contacts.count) contacts visible"))
        } catch {
            results.append(Self.outcome("contacts", error))
        }
        guard let contactId else {
            for resource in ["tasks", "notes", "appointments", "write"] where results[0].outcome == .ok {
                results.append(ResourceCheck(resource: resource, outcome: .ok, detail: "not checked: the location has no contacts"))
            }
            return results
        }
        results.append(await check("tasks") { "\(try await client.tasks(of: contactId).count) on a sample contact" })
        results.append(await check("notes") { "\(try await client.notes(of: contactId).count) on a sample contact" })
        results.append(await check("appointments") { "\(try await client.appointments(of: contactId).count) on a sample contact" })
        do {
            try await client.probeWriteScope(contactId: contactId)
            results.append(ResourceCheck(resource: "write", outcome: .ok, detail: "contacts.write granted"))
        } catch {
            results.append(Self.outcome("write", error))
        }
        return results
    }

    /// The contacts scopes the results show the credential has.
    public static func grantedScopes(_ results: [ResourceCheck]) -> [String] {
        var scopes: [String] = []
        if results.first(where: { $0.resource == "contacts" })?.outcome == .ok { scopes.append("contacts.readonly") }
        if let write = results.first(where: { $0.resource == "write" }), write.outcome == .ok, !write.detail.hasPrefix("not checked") {
            scopes.append("contacts.write")
        }
        return scopes
    }

    private func check(_ resource: String, _ call: () async throws -> String) async -> ResourceCheck {
        do {
            return ResourceCheck(resource: resource, outcome: .ok, detail: try await call())
        } catch {
            return Self.outcome(resource, error)
        }
    }

    private static func outcome(_ resource: String, _ error: any Error) -> ResourceCheck {
        if let api = error as? APIError, api.kind == .missingScope {
            return ResourceCheck(resource: resource, outcome: .missingScope, detail: api.message)
        }
        return ResourceCheck(resource: resource, outcome: .error, detail: error.localizedDescription)
    }
}

extension HighLevelClient {
    /// Sends an empty tag request: 422 means the write scope is granted (and nothing changed).
    func probeWriteScope(contactId: String) async throws {
        do {
            _ = try await call("POST", "/contacts/\(Self.segment(contactId))/tags", body: .object([:]))
        } catch let error as APIError where error.kind == .invalidRequest {
            return
        }
    }
}
