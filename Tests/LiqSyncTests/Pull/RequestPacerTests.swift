import Foundation
import LiqSync
import Testing

@Suite("Request pacing and retries")
struct RequestPacerTests {
    @Test("the pacer lets a window's worth through at once, then waits for the oldest to leave")
    func window() async throws {
        let pacer = RequestPacer(maxRequests: 5, interval: 0.3, margin: 0.01)
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<5 { try await pacer.acquire() }
        #expect(clock.now - start < .milliseconds(100))
        try await pacer.acquire()
        #expect(clock.now - start >= .milliseconds(300))
    }

    @Test("the server's lower remaining count wins")
    func serverRemaining() async throws {
        let pacer = RequestPacer(maxRequests: 100, interval: 0.3, margin: 0.01)
        try await pacer.acquire()
        await pacer.observe(headers: ["x-ratelimit-remaining": "0", "x-ratelimit-max": "100", "x-ratelimit-interval-milliseconds": "300"])
        let clock = ContinuousClock()
        let start = clock.now
        try await pacer.acquire()
        #expect(clock.now - start >= .milliseconds(250))
    }

    @Test("backoff grows, stays under the cap, and honours Retry-After")
    func backoff() {
        let policy = RetryPolicy(maxAttempts: 8, baseDelay: 0.5, maxDelay: 4)
        #expect(policy.delay(attempt: 1, retryAfter: nil) <= 0.5)
        #expect(policy.delay(attempt: 6, retryAfter: nil) <= 4)
        #expect(policy.delay(attempt: 6, retryAfter: nil) >= 2)
        #expect(policy.delay(attempt: 1, retryAfter: "7") == 7)
    }
}
