import Foundation
import Sandbox
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Each fault can be switched on and does what it names; with faults off, nothing is injected.
@Suite("Sandbox faults")
struct SandboxFaultTests {
    @Test("a schedule injects 429, 500, 502, 503, malformed JSON and a cut body at the named requests")
    func schedule() async throws {
        var configuration = SandboxConfiguration.testing()
        configuration.faults = try #require(FaultPlan(parsing: "at:1=429,2=500,3=502,4=503,5=malformed,6=cut"))
        try await SandboxServer.withRunning(configuration) { sandbox async throws in
            let api = SandboxHTTP(sandbox.info)
            let id = try #require(await sandbox.store.allContacts().first?.id)
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await api.send("GET", "/contacts/\(id)").status) }
            #expect(statuses == [429, 500, 502, 503])

            let malformed = try await api.send("GET", "/contacts/\(id)")
            #expect(malformed.status == 200)
            #expect((try? JSONSerialization.jsonObject(with: malformed.data)) == nil)

            await #expect(throws: (any Error).self) { _ = try await api.send("GET", "/contacts/\(id)") }

            let fine = try await api.send("GET", "/contacts/\(id)")
            #expect(fine.status == 200)
            #expect(fine.body["contact"]?["id"]?.string == id)
            let faults = await sandbox.requestLog.entries().map(\.fault)
            #expect(faults == ["429", "500", "502", "503", "malformed", "cut", nil])
        }
    }

    @Test("a slow fault delays the answer by the given time")
    func slow() async throws {
        var configuration = SandboxConfiguration.testing()
        configuration.faults = try #require(FaultPlan(parsing: "at:1=slow=300"))
        try await SandboxServer.withRunning(configuration) { sandbox async throws in
            let api = SandboxHTTP(sandbox.info)
            let id = try #require(await sandbox.store.allContacts().first?.id)
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await api.send("GET", "/contacts/\(id)").status == 200)
            #expect(clock.now - start >= .milliseconds(300))
            #expect(await sandbox.requestLog.entries().first?.fault == "slow=300")
        }
    }

    @Test("by probability with a seed: the same seed gives the same faults; probability 1 always injects")
    func probabilities() async throws {
        func run(_ plan: String) async throws -> [String?] {
            var configuration = SandboxConfiguration.testing()
            configuration.faults = try #require(FaultPlan(parsing: plan))
            return try await SandboxServer.withRunning(configuration) { sandbox async throws in
                let api = SandboxHTTP(sandbox.info)
                let id = try #require(await sandbox.store.allContacts().first?.id)
                for _ in 0..<40 { _ = try? await api.send("GET", "/contacts/\(id)") }
                return await sandbox.requestLog.entries().map(\.fault)
            }
        }
        let first = try await run("429:0.2,503:0.2,seed=9")
        let second = try await run("429:0.2,503:0.2,seed=9")
        #expect(first == second)
        #expect(first.contains("429") && first.contains("503") && first.contains(nil))
        #expect(try await run("500:1").allSatisfy { $0 == "500" })
    }

    @Test("with faults off, nothing is injected")
    func off() async throws {
        var configuration = SandboxConfiguration.testing()
        configuration.rateLimit = .off
        try await SandboxServer.withRunning(configuration) { sandbox async throws in
            let api = SandboxHTTP(sandbox.info)
            let id = try #require(await sandbox.store.allContacts().first?.id)
            for _ in 0..<200 { #expect(try await api.send("GET", "/contacts/\(id)").status == 200) }
            let entries = await sandbox.requestLog.entries()
            #expect(entries.count == 200)
            #expect(entries.allSatisfy { $0.fault == nil && $0.status == 200 })
        }
    }

    @Test("fault plans parse and refuse nonsense", arguments: ["nope", "429:2", "at:0=429", "at:1=teapot", "429:0.6,500:0.6"])
    func refusesBadPlans(text: String) {
        #expect(FaultPlan(parsing: text) == nil)
    }
}
