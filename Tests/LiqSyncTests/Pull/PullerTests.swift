import Foundation
import LiqSync
import Sandbox
import Testing

@Suite("Pull into the mirror")
struct PullerTests {
    @Test("every contact is pulled exactly once at the sizes where paging breaks", arguments: [0, 1, 101, 10_001])
    func paging(count: Int) async throws {
        try await SandboxServer.withRunning(.quick(contacts: count)) { sandbox async throws in
            let test = try TestWorkspace(sandbox: sandbox.info)
            defer { test.remove() }
            let mirror = try test.workspace.openMirror()
            let entities: Set<PullEntity> = count > 1000 ? [.contacts] : Set(PullEntity.allCases)
            let summary = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions(entities: entities))
            #expect(summary.counts["contacts"]?.new == count)
            #expect(try mirror.recordCounts()["contacts"] == count)
            let problems = try await MirrorComparison.differences(mirror, sandbox, entities: Set(entities.map(\.rawValue)))
            #expect(problems.isEmpty, "\(problems.prefix(5))")
            let searches = await sandbox.requestLog.entries().filter { $0.path == "/contacts/search" }.count
            #expect(searches == max(1, Int((Double(count) / 500).rounded(.up)) + (count > 0 && count % 500 == 0 ? 1 : 0)))
        }
    }

    @Test("a pull stopped after listing its last page, before its contact phase ended, resumes and finishes")
    func resumedAfterTheLastPage() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 250)) { sandbox async throws in
            let test = try TestWorkspace(sandbox: sandbox.info)
            defer { test.remove() }
            let mirror = try test.workspace.openMirror()
            let client = try test.client()
            // Every page listed and written with the pull's state, as a pull does; the state after
            // the last page has no cursor (the listing's end), and the run stops right there.
            var state = try await mirror.beginPull(full: false, entities: PullEntity.allCases.map(\.rawValue).sorted(), since: nil)
            var cursor: JSON?
            repeat {
                var search = ContactSearch(pageLimit: 100, searchAfter: cursor)
                search.sort = [(field: "dateUpdated", descending: true)]
                let page = try await client.searchContacts(search)
                cursor = page.nextCursor
                if let cursor { state.seenCursors.append(cursor.canonicalText) }
                state.cursor = cursor
                state = try await mirror.commitContactPage(page.contacts, state: state, pulledAt: Date())
            } while cursor != nil
            #expect(state.seenCursors.count >= 3)

            let summary = try await Puller(mirror: mirror, client: client).run(PullOptions(pageLimit: 100))
            #expect(summary.counts["contacts"]?.new == 250)
            #expect(try await MirrorComparison.differences(mirror, sandbox).isEmpty)
            #expect(try await mirror.activePull() == nil)
        }
    }

    @Test("after k contacts change, an incremental pull makes at most ceil(k/pageLimit) + 3k + 2 requests and the mirror equals the sandbox")
    func incremental() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 400)) { sandbox async throws in
            let test = try TestWorkspace(sandbox: sandbox.info)
            defer { test.remove() }
            let mirror = try test.workspace.openMirror()
            _ = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions())

            let k = 7
            let victims = await Array(sandbox.store.allContacts().shuffled().prefix(k))
            for (index, contact) in victims.enumerated() {
                try await sandbox.store.edit(contact: contact.id, fields: ["city": .string("Changed \(index)"), "tags": .array([.string("moved")])])
            }
            let before = await sandbox.requestLog.lastSequence
            let summary = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions())
            let requests = await sandbox.requestLog.entries(after: before).count
            #expect(requests <= Int((Double(k) / 500).rounded(.up)) + 3 * k + 2, "made \(requests) requests")
            #expect(summary.counts["contacts"]?.updated == k)
            #expect(try await MirrorComparison.differences(mirror, sandbox).isEmpty)
        }
    }

    @Test("--full marks contacts gone from HighLevel as deleted, and keeps them")
    func fullMarksDeleted() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 30)) { sandbox async throws in
            let test = try TestWorkspace(sandbox: sandbox.info)
            defer { test.remove() }
            let mirror = try test.workspace.openMirror()
            _ = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions())
            let gone = try #require(await sandbox.store.allContacts().first)
            try await sandbox.store.delete(contact: gone.id)
            let incremental = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions())
            #expect(incremental.counts["contacts"]?.deleted == 0)
            let full = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions(full: true))
            #expect(full.counts["contacts"]?.deleted == 1)
            let counts = try mirror.recordCounts()
            #expect(counts["contacts"] == 29)
            #expect(counts["deletedContacts"] == 1)
        }
    }

    @Test("with 20% injected 429, 5xx and cut responses the pull still ends equal to the sandbox")
    func faults() async throws {
        var configuration = SandboxConfiguration.quick(contacts: 150)
        configuration.faults = try #require(FaultPlan(parsing: "429:0.05,500:0.04,502:0.03,503:0.03,cut:0.05,seed=11"))
        try await SandboxServer.withRunning(configuration) { sandbox async throws in
            let test = try TestWorkspace(sandbox: sandbox.info)
            defer { test.remove() }
            let mirror = try test.workspace.openMirror()
            let summary = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions())
            #expect(summary.retries > 0)
            #expect(try await MirrorComparison.differences(mirror, sandbox).isEmpty)
            let injected = await sandbox.faults.injected.values.reduce(0, +)
            #expect(injected > 20)
        }
    }

    @Test("an expired OAuth token is refreshed once, the run goes on, and the rotated refresh token is the one stored")
    func oauthRefresh() async throws {
        let clock = SharedClock()
        var configuration = SandboxConfiguration.quick(contacts: 20)
        configuration.accessTokenLifetime = 600
        configuration.now = { clock.now }
        try await SandboxServer.withRunning(configuration) { sandbox async throws in
            let info = sandbox.info
            let test = try TestWorkspace(sandbox: info)
            defer { test.remove() }
            let code = try await sandbox.tokens.issueCode(clientId: info.clientId, redirectURI: nil, scopes: [Principal.readScope, Principal.writeScope])
            let grant = try await OAuthTokenExchange(transport: URLSessionTransport(), tokenURL: info.baseURL + "/oauth/token").exchange(
                ["grant_type": "authorization_code", "code": code, "client_id": info.clientId, "client_secret": info.clientSecret],
                clientSecret: info.clientSecret)
            try test.workspace.credentialStore.save(.oauth(grant))
            clock.advance(601)  // the server now considers the token expired; the client does not know yet

            let mirror = try test.workspace.openMirror()
            let client = try test.client()
            let summary = try await Puller(mirror: mirror, client: client).run(PullOptions())
            #expect(summary.counts["contacts"]?.new == 20)
            #expect(await client.stats.refreshes == 1)
            guard case .oauth(let stored)? = try test.workspace.credentialStore.load() else {
                Issue.record("the credential file no longer holds an OAuth grant")
                return
            }
            #expect(stored.refreshToken != grant.refreshToken)
            let attributes = try FileManager.default.attributesOfItem(atPath: test.workspace.credentialsFile.path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let reuse = try? await OAuthTokenExchange(transport: URLSessionTransport(), tokenURL: info.baseURL + "/oauth/token").exchange(
                ["grant_type": "refresh_token", "refresh_token": grant.refreshToken, "client_id": info.clientId, "client_secret": info.clientSecret],
                clientSecret: info.clientSecret)
            #expect(reuse == nil)
        }
    }

    @Test("a pull that meets the daily limit stops with a clear error at a checkpoint and resumes after the reset")
    func dailyLimit() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 60, limits: RateLimitPolicy(burst: 1_000, interval: 1, daily: 50))) { sandbox async throws in
            let test = try TestWorkspace(sandbox: sandbox.info)
            defer { test.remove() }
            let mirror = try test.workspace.openMirror()
            await #expect(throws: APIError.self) {
                _ = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions())
            }
            do {
                _ = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions())
            } catch let error as APIError {
                #expect(error.kind == .dailyLimitReached)
                #expect(error.localizedDescription.contains("continues where it stopped"))
            }
            #expect(try await mirror.activePull() != nil)
            let stopped = try mirror.recentRuns().first
            #expect(stopped?.status == "stopped")

            await sandbox.limiter.setPolicy(RateLimitPolicy(burst: 1_000, interval: 1, daily: 200_000))
            let summary = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions())
            #expect(summary.resumed)
            #expect(try await MirrorComparison.differences(mirror, sandbox).isEmpty)
            #expect(try await mirror.activePull() == nil)
        }
    }

    @Test("after a test pull the token appears nowhere in the mirror, the logs or the audit log")
    func noSecretsLeak() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 25)) { sandbox async throws in
            let test = try TestWorkspace(sandbox: sandbox.info)
            defer { test.remove() }
            let mirror = try test.workspace.openMirror()
            _ = try await Puller(mirror: mirror, client: try test.client()).run(PullOptions())
            let token = Data(sandbox.info.token.utf8)
            let files = FileManager.default.enumerator(at: test.root, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
            var scanned = 0
            for file in files where file.lastPathComponent != "credentials.json" {
                guard let data = try? Data(contentsOf: file) else { continue }
                scanned += 1
                #expect(data.range(of: token) == nil, "the token is in \(file.lastPathComponent)")
            }
            #expect(scanned >= 3)
            let audit = try String(contentsOf: try #require(FileManager.default.contentsOfDirectory(at: test.workspace.logs, includingPropertiesForKeys: nil).first), encoding: .utf8)
            #expect(audit.contains("\"path\":\"/contacts/search\""))
        }
    }
}

/// A clock shared by the sandbox and the test.
final class SharedClock: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var offset: TimeInterval = 0

    var now: Date { lock.withLock { Date().addingTimeInterval(offset) } }

    func advance(_ seconds: TimeInterval) {
        lock.withLock { offset += seconds }
    }
}
