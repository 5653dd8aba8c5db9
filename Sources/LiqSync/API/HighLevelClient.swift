import Foundation
import Logging

/// Counts of what a client did, for run records and summaries.
public struct ClientStats: Sendable, Equatable, Codable {
    public var requests = 0
    public var throttled = 0
    public var retries = 0
    public var refreshes = 0
    public init() {}
}

/// HighLevel's contacts API v2. Every call is paced to the rate-limit budget, retried on 429,
/// 5xx and network failures with backoff (only where a retry cannot write twice), authenticated
/// with a token the `TokenProvider` keeps fresh, and written to the audit log.
///
/// Works unchanged against `https://services.leadconnectorhq.com` and against the sandbox.
public actor HighLevelClient {
    public static let defaultBaseURL = "https://services.leadconnectorhq.com"
    public static let apiVersion = "2021-07-28"

    public let baseURL: URL
    public let locationId: String
    private let tokens: TokenProvider
    private let transport: any HTTPTransport
    private let pacer: RequestPacer
    private let retry: RetryPolicy
    private let audit: AuditLog?
    private let logger: Logger
    public private(set) var stats = ClientStats()

    public init(
        baseURL: URL, locationId: String, tokens: TokenProvider, transport: any HTTPTransport = URLSessionTransport(),
        pacer: RequestPacer = RequestPacer(), retry: RetryPolicy = RetryPolicy(), audit: AuditLog? = nil,
        logger: Logger = Logger(label: "liqsync.api")
    ) throws {
        try HostPolicy.check(baseURL, method: "-", endpoint: baseURL.absoluteString)
        self.baseURL = baseURL
        self.locationId = locationId
        self.tokens = tokens
        self.transport = transport
        self.pacer = pacer
        self.retry = retry
        self.audit = audit
        self.logger = logger
    }

    /// The day's budget left, as the last response reported it.
    public var dailyRemaining: Int? {
        get async { await pacer.dailyRemaining }
    }

    /// Whether a call may be repeated after an unclear failure without risking a second write.
    enum Repeatable {
        /// Reads, searches, PUT, DELETE, upsert, tags: repeating gives the same result.
        case always
        /// Creates: only when the service surely did not act (429, 502, 503, 504).
        case ifNotProcessed
    }

    /// Sends one call and returns the JSON answer.
    func call(
        _ method: String, _ path: String, query: [(String, String)] = [], body: JSON? = nil, repeatable: Repeatable = .always
    ) async throws -> JSON {
        let url = try makeURL(path, query: query)
        var headers = ["Version": Self.apiVersion, "Accept": "application/json"]
        var data: Data?
        if let body {
            headers["Content-Type"] = "application/json"
            data = Data(body.canonicalText.utf8)
        }
        var refreshed = false
        var attempt = 0
        while true {
            attempt += 1
            let ticket = try await pacer.acquire()
            let token = try await tokens.accessToken()
            headers["Authorization"] = "Bearer \(token)"
            let started = ContinuousClock.now
            let response: HTTPResponseData
            do {
                response = try await transport.send(HTTPRequestData(method: method, url: url, headers: headers, body: data))
            } catch let error as CancellationError {
                // The caller gave up (another request of its group failed): not a network error to retry.
                await pacer.completed(ticket)
                stats.requests += 1
                throw error
            } catch {
                await pacer.completed(ticket)
                stats.requests += 1
                await record(method, path, status: nil, started: started, attempt: attempt, error: "network")
                if repeatable == .always, attempt < retry.maxAttempts {
                    try await backOff(attempt: attempt, retryAfter: nil)
                    continue
                }
                throw APIError(kind: .network, method: method, endpoint: path, message: Self.describe(error))
            }
            await pacer.completed(ticket)
            stats.requests += 1
            await pacer.observe(headers: response.headers)
            await record(method, path, status: response.status, started: started, attempt: attempt, headers: response.headers)
            let json = try? JSON.parse(response.body)
            switch response.status {
            case 200..<300:
                if let json { return json }
                if repeatable == .always, attempt < retry.maxAttempts {
                    try await backOff(attempt: attempt, retryAfter: nil)
                    continue
                }
                throw APIError(kind: .malformedResponse, status: response.status, method: method, endpoint: path, message: "the body is not JSON")
            case 401:
                let message = HighLevelMessage.from(json)
                if message.localizedCaseInsensitiveContains("scope") {
                    throw APIError(kind: .missingScope, status: 401, method: method, endpoint: path, message: message)
                }
                if !refreshed, try await tokens.recover(from: token) {
                    refreshed = true
                    stats.refreshes += 1
                    attempt -= 1
                    continue
                }
                throw APIError(kind: .unauthorized, status: 401, method: method, endpoint: path, message: message)
            case 429:
                stats.throttled += 1
                await pacer.observeThrottle()
                if response.header("X-RateLimit-Daily-Remaining") == "0" {
                    throw APIError(
                        kind: .dailyLimitReached, status: 429, method: method, endpoint: path,
                        message: "HighLevel allows \(response.header("X-RateLimit-Limit-Daily") ?? "200000") requests a day")
                }
                if attempt < retry.maxAttempts {
                    try await backOff(attempt: attempt, retryAfter: response.header("Retry-After"))
                    continue
                }
                throw APIError(kind: .rateLimited, status: 429, method: method, endpoint: path, message: HighLevelMessage.from(json))
            case 500..<600:
                let unprocessed = [502, 503, 504].contains(response.status)
                if (repeatable == .always || unprocessed), attempt < retry.maxAttempts {
                    try await backOff(attempt: attempt, retryAfter: response.header("Retry-After"))
                    continue
                }
                throw APIError(kind: .server, status: response.status, method: method, endpoint: path, message: HighLevelMessage.from(json))
            case 403:
                throw APIError(kind: .forbidden, status: 403, method: method, endpoint: path, message: HighLevelMessage.from(json))
            case 404:
                throw APIError(kind: .notFound, status: 404, method: method, endpoint: path, message: HighLevelMessage.from(json))
            default:
                throw APIError(
                    kind: .invalidRequest, status: response.status, method: method, endpoint: path, message: HighLevelMessage.from(json))
            }
        }
    }

    private func backOff(attempt: Int, retryAfter: String?) async throws {
        stats.retries += 1
        let seconds = retry.delay(attempt: attempt, retryAfter: retryAfter)
        logger.debug("retrying after \(seconds) s", metadata: ["attempt": "\(attempt)"])
        try await Task.sleep(for: .seconds(seconds))
    }

    private func record(
        _ method: String, _ path: String, status: Int?, started: ContinuousClock.Instant, attempt: Int,
        headers: [String: String] = [:], error: String? = nil
    ) async {
        guard let audit else { return }
        let elapsed = ContinuousClock.now - started
        let ms = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        await audit.record(
            AuditEntry(
                time: Date(), method: method, path: path, status: status, milliseconds: ms,
                rateLimitRemaining: headers["x-ratelimit-remaining"].flatMap(Int.init),
                dailyRemaining: headers["x-ratelimit-daily-remaining"].flatMap(Int.init), retry: attempt - 1, error: error))
    }

    private func makeURL(_ path: String, query: [(String, String)]) throws -> URL {
        var text = baseURL.absoluteString
        if text.hasSuffix("/") { text.removeLast() }
        text += path
        if !query.isEmpty {
            text += "?" + query.map { "\(FormEncoding.escape($0.0))=\(FormEncoding.escape($0.1))" }.joined(separator: "&")
        }
        guard let url = URL(string: text) else {
            throw APIError(kind: .configuration, method: "-", endpoint: path, message: "Could not build a URL for \(path).")
        }
        return url
    }

    private static func describe(_ error: any Error) -> String {
        if let urlError = error as? URLError { return "connection failed (\(urlError.code.rawValue))" }
        return "connection failed"
    }

    /// Escapes one path segment (an id from the API or the user).
    static func segment(_ value: String) -> String {
        FormEncoding.escape(value)
    }
}
