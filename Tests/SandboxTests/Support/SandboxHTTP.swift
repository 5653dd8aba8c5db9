import Foundation
import Sandbox

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A plain HTTP caller for the tests, written apart from liqsync's own client so a bug in one
/// cannot hide a bug in the other.
struct SandboxHTTP {
    struct Reply {
        var status: Int
        var headers: [String: String]
        var data: Data

        /// The body as JSON, or `.null` when it is not JSON.
        var body: TestJSON { (try? TestJSON.parse(data)) ?? .null }
        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    let baseURL: String
    var token: String?
    var version: String? = "2021-07-28"
    let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        return URLSession(configuration: configuration)
    }()

    init(_ info: SandboxInfo, token: String? = nil) {
        baseURL = info.baseURL
        self.token = token ?? info.token
    }

    func send(
        _ method: String, _ path: String, json body: Any? = nil, rawBody: Data? = nil,
        headers: [String: String] = [:]
    ) async throws -> Reply {
        guard let url = URL(string: baseURL + path) else { throw URLError(.badURL) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let version { request.setValue(version, forHTTPHeaderField: "Version") }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let rawBody { request.httpBody = rawBody }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { fields[key.lowercased()] = value }
        }
        return Reply(status: http.statusCode, headers: fields, data: data)
    }
}

/// A clock the test moves by hand, for token expiry and rate-limit windows.
final class ManualClock: @unchecked Sendable {
    // Guarded by `lock`; read from the sandbox's actors, written by the test.
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = start
    }

    var now: Date { lock.withLock { current } }

    func advance(_ seconds: TimeInterval) {
        lock.withLock { current = current.addingTimeInterval(seconds) }
    }
}

extension SandboxConfiguration {
    /// A small, quiet sandbox for tests: port 0, few contacts, fixed seed.
    static func testing(contacts: Int = 20, clock: ManualClock? = nil) -> SandboxConfiguration {
        var configuration = SandboxConfiguration()
        configuration.port = 0
        configuration.contactCount = contacts
        configuration.seed = 42
        if let clock { configuration.now = { clock.now } }
        return configuration
    }
}
