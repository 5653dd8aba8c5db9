import Foundation
import LiqSync
import Sandbox
import Testing

/// The production transport against a real server on loopback.
@Suite("URLSession transport")
struct URLSessionTransportTests {
    @Test("sends method, headers and body; returns status, lower-cased headers and the body")
    func roundTrip() async throws {
        var configuration = SandboxConfiguration()
        configuration.port = 0
        configuration.contactCount = 3
        try await SandboxServer.withRunning(configuration) { sandbox async throws in
            // The production timeout: this test is about what is sent and returned, not about time.
            // The whole suite shares two cores; a 10-second limit once timed out in CI (-1001)
            // while other tests held both, though the sandbox answered.
            let transport = URLSessionTransport()
            let url = try #require(URL(string: sandbox.info.baseURL + "/contacts/search"))
            let reply = try await transport.send(
                HTTPRequestData(
                    method: "POST", url: url,
                    headers: ["Authorization": "Bearer \(sandbox.info.token)", "Version": "2021-07-28", "Content-Type": "application/json"],
                    body: Data(#"{"locationId":"\#(sandbox.info.locationId)","pageLimit":2}"#.utf8)))
            #expect(reply.status == 200)
            #expect(reply.header("X-RateLimit-Max") == "100")
            #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true)
            let body = try JSONSerialization.jsonObject(with: reply.body) as? [String: Any]
            #expect((body?["total"] as? NSNumber)?.intValue == 3)

            let anyContact = try #require(URL(string: sandbox.info.baseURL + "/contacts/someContact"))
            let refused = try await transport.send(HTTPRequestData(method: "GET", url: anyContact))
            #expect(refused.status == 401)
        }
    }
}
