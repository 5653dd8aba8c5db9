import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `liqsync sandbox` run as a process: starts, prints its JSON, answers, and stops on a signal.
@Suite("liqsync sandbox (built binary)")
struct SandboxCommandTests {
    struct Banner: Decodable {
        var baseURL: String
        var locationId: String
        var token: String
        var readOnlyToken: String
    }

    @Test("--port 0 --json starts, answers, and stops cleanly", arguments: [SIGINT, SIGTERM])
    func startsAnswersStops(signal: Int32) async throws {
        let process = try CLIProcess(["sandbox", "--port", "0", "--json", "--contacts", "25"])
        let line = try #require(try await process.firstLine(), "no start-up line; stderr: \(process.standardError)")
        let banner = try JSONDecoder().decode(Banner.self, from: Data(line.utf8))
        #expect(banner.baseURL.hasPrefix("http://127.0.0.1:"))
        #expect(!banner.baseURL.hasSuffix(":0"))

        var request = URLRequest(url: try #require(URL(string: banner.baseURL + "/contacts/search")))
        request.httpMethod = "POST"
        request.setValue("Bearer \(banner.token)", forHTTPHeaderField: "Authorization")
        request.setValue("2021-07-28", forHTTPHeaderField: "Version")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"locationId":"\#(banner.locationId)","pageLimit":100}"#.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let body = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect((body?["total"] as? NSNumber)?.intValue == 25)

        process.signal(signal)
        let code = try await process.exitCode(timeout: 30)
        #expect(code == 0, "stderr: \(process.standardError)")
    }

    @Test("bad options are usage errors with one clear sentence")
    func usageErrors() async throws {
        let result = try await CLIProcess.run(["sandbox", "--faults", "teapot:1"])
        #expect(result.code == 2)
        #expect(result.stderr.contains("--faults is not a fault plan"))
    }
}
