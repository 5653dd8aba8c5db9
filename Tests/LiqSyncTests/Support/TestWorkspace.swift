import Foundation
import LiqSync
import Sandbox

/// A fresh workspace folder for one test, connected to a running sandbox.
struct TestWorkspace {
    let workspace: Workspace
    let root: URL

    init(sandbox: SandboxInfo, token: String? = nil) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-ws-\(UUID().uuidString)")
        workspace = Workspace(root: root)
        try workspace.initialize(config: WorkspaceConfig(baseURL: sandbox.baseURL, locationId: sandbox.locationId))
        try workspace.credentialStore.save(.privateIntegration(token: token ?? sandbox.token, scopes: nil))
    }

    func settings() throws -> ResolvedSettings {
        try ResolvedSettings.resolve(workspace: workspace, environment: [:])
    }

    /// A client with fast retries, so fault tests do not sleep for long.
    func client(retry: RetryPolicy = RetryPolicy(maxAttempts: 10, baseDelay: 0.005, maxDelay: 0.05), pacer: RequestPacer = RequestPacer(maxRequests: 100_000, interval: 1)) throws -> HighLevelClient {
        try workspace.makeClient(settings(), pacer: pacer, retry: retry)
    }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }
}

extension SandboxConfiguration {
    static func quick(contacts: Int, limits: RateLimitPolicy = .off) -> SandboxConfiguration {
        var configuration = SandboxConfiguration()
        configuration.port = 0
        configuration.contactCount = contacts
        configuration.seed = 7
        configuration.rateLimit = limits
        return configuration
    }
}

/// Compares the mirror with the sandbox: the same live contacts, tasks, notes and appointments.
enum MirrorComparison {
    static func differences(_ mirror: MirrorDatabase, _ sandbox: SandboxServices, entities: Set<String> = ["contacts", "tasks", "notes", "appointments"]) async throws -> [String] {
        let snapshot = try mirror.rawSnapshot()
        let data = await sandbox.store.snapshot()
        var problems: [String] = []
        let expected: [String: Set<String>] = [
            "contacts": Set(data.contacts.map(\.id)), "tasks": Set(data.tasks.map(\.id)), "notes": Set(data.notes.map(\.id)),
            "appointments": Set(data.appointments.map(\.id)),
        ]
        for (table, ids) in expected where entities.contains(table) {
            let mirrored = Set(snapshot[table]?.keys.map { $0 } ?? [])
            if mirrored != ids {
                problems.append("\(table): \(ids.subtracting(mirrored).count) missing, \(mirrored.subtracting(ids).count) extra")
            }
        }
        if entities.contains("contacts") {
            for contact in data.contacts {
                guard let raw = snapshot["contacts"]?[contact.id], let json = try? JSON.parse(Data(raw.utf8)) else { continue }
                let mirrored = Contact(json: json)
                if mirrored?.email != contact.email || mirrored?.firstName != contact.firstName || mirrored?.tags != contact.tags
                    || mirrored?.phone != contact.phone
                {
                    problems.append("contact \(contact.id) differs")
                }
            }
        }
        return problems
    }
}
