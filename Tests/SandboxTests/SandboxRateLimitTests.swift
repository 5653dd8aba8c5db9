import Foundation
import Sandbox
import Testing

/// HighLevel's burst and daily limits, with the five headers, on a clock the test moves.
@Suite("Sandbox rate limits")
struct SandboxRateLimitTests {
    @Test("the headers count down and the 101st request inside 10 s gets 429; the window slides")
    func burstWindow() async throws {
        let clock = ManualClock()
        try await SandboxServer.withRunning(.testing(clock: clock)) { sandbox async throws in
            let api = SandboxHTTP(sandbox.info)
            let id = try #require(await sandbox.store.allContacts().first?.id)
            var remaining: [Int] = []
            for index in 0..<100 {
                if index == 50 { clock.advance(5) }
                let reply = try await api.send("GET", "/contacts/\(id)")
                #expect(reply.status == 200)
                remaining.append(Int(reply.header("X-RateLimit-Remaining") ?? "") ?? -1)
                #expect(reply.header("X-RateLimit-Max") == "100")
                #expect(reply.header("X-RateLimit-Interval-Milliseconds") == "10000")
                #expect(reply.header("X-RateLimit-Limit-Daily") == "200000")
            }
            #expect(remaining == Array((0..<100).reversed()))
            let refused = try await api.send("GET", "/contacts/\(id)")
            #expect(refused.status == 429)
            #expect(refused.body["statusCode"]?.int == 429)
            #expect(refused.header("X-RateLimit-Remaining") == "0")
            #expect(refused.header("X-RateLimit-Daily-Remaining") == "199900")

            clock.advance(5.001)  // the first 50 leave the window; the second 50 are still in it
            let again = try await api.send("GET", "/contacts/\(id)")
            #expect(again.status == 200)
            #expect(again.header("X-RateLimit-Remaining") == "49")

            let other = SandboxHTTP(sandbox.info, token: sandbox.info.readOnlyToken)
            #expect(try await other.send("GET", "/contacts/\(id)").header("X-RateLimit-Remaining") == "99")
        }
    }

    @Test("the daily limit refuses once spent and resets the next day")
    func dailyLimit() async throws {
        let clock = ManualClock()
        var configuration = SandboxConfiguration.testing(clock: clock)
        configuration.rateLimit = RateLimitPolicy(burst: 100, interval: 10, daily: 5)
        try await SandboxServer.withRunning(configuration) { sandbox async throws in
            let api = SandboxHTTP(sandbox.info)
            let id = try #require(await sandbox.store.allContacts().first?.id)
            var statuses: [Int] = []
            for _ in 0..<6 { statuses.append(try await api.send("GET", "/contacts/\(id)").status) }
            #expect(statuses == [200, 200, 200, 200, 200, 429])
            clock.advance(86_400)
            let tomorrow = try await api.send("GET", "/contacts/\(id)")
            #expect(tomorrow.status == 200)
            #expect(tomorrow.header("X-RateLimit-Daily-Remaining") == "4")
        }
    }

    @Test("limits scale for tests and can be switched off")
    func scaledAndOff() async throws {
        let clock = ManualClock()
        var configuration = SandboxConfiguration.testing(clock: clock)
        configuration.rateLimit = try #require(RateLimitPolicy(parsing: "3/1"))
        try await SandboxServer.withRunning(configuration) { sandbox async throws in
            let api = SandboxHTTP(sandbox.info)
            let id = try #require(await sandbox.store.allContacts().first?.id)
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await api.send("GET", "/contacts/\(id)").status) }
            #expect(statuses == [200, 200, 200, 429])
            await sandbox.limiter.setPolicy(.off)
            for _ in 0..<10 { #expect(try await api.send("GET", "/contacts/\(id)").status == 200) }
        }
    }
}
