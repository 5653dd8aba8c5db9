import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `liqsync sandbox` running as its own process, so end-to-end tests measure the CLI against a
/// server that does not share the test's threads.
final class SandboxProcess {
    struct Banner: Decodable {
        var baseURL: String
        var locationId: String
        var token: String
        var readOnlyToken: String
        var adminKey: String
    }

    let process: CLIProcess
    let banner: Banner

    init(_ arguments: [String]) async throws {
        process = try CLIProcess(["sandbox", "--port", "0", "--json"] + arguments)
        guard let line = try await process.firstLine() else {
            throw CLITestError("the sandbox did not start: \(process.standardError)")
        }
        banner = try JSONDecoder().decode(Banner.self, from: Data(line.utf8))
    }

    /// The API requests the sandbox received (admin calls left out): method, path, status, time.
    func requests() async throws -> [(method: String, path: String, status: Int, time: String)] {
        let data = try await admin("GET", "/_sandbox/requests")
        let entries = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
        return entries.filter { !($0["path"] as? String ?? "").hasPrefix("/_sandbox") }.map {
            ($0["method"] as? String ?? "", $0["path"] as? String ?? "", ($0["status"] as? NSNumber)?.intValue ?? 0, $0["time"] as? String ?? "")
        }
    }

    @discardableResult
    func admin(_ method: String, _ path: String, body: Data? = nil) async throws -> Data {
        var request = URLRequest(url: try unwrap(URL(string: banner.baseURL + path)))
        request.httpMethod = method
        request.setValue(banner.adminKey, forHTTPHeaderField: "X-Sandbox-Admin")
        request.httpBody = body
        let (data, _) = try await URLSession.shared.data(for: request)
        return data
    }

    func stop() async {
        process.signal(SIGTERM)
        _ = try? await process.exitCode(timeout: 20)
    }
}

struct CLITestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func unwrap<T>(_ value: T?, _ what: String = "value") throws -> T {
    guard let value else { throw CLITestError("missing \(what)") }
    return value
}
