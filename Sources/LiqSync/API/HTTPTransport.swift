import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP exchange: what the client sends.
public struct HTTPRequestData: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?

    public init(method: String, url: URL, headers: [String: String] = [:], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// One HTTP exchange: what came back. Header names are lower-cased.
public struct HTTPResponseData: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Sends HTTP requests. The client talks only to this, so tests can replace the network.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequestData) async throws -> HTTPResponseData
}

/// The production transport: URLSession (FoundationNetworking on Linux).
public struct URLSessionTransport: HTTPTransport {
    /// Owns the session and closes its connections when the last copy of the transport goes.
    private final class SessionBox: Sendable {
        let session: URLSession
        init(_ session: URLSession) { self.session = session }
        deinit { session.finishTasksAndInvalidate() }
    }

    private let box: SessionBox
    private var session: URLSession { box.session }

    /// - Parameter timeout: seconds a request may take before it fails.
    public init(timeout: TimeInterval = 60) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        box = SessionBox(URLSession(configuration: configuration))
    }

    public func send(_ request: HTTPRequestData) async throws -> HTTPResponseData {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        let (data, response) = try await session.dataIgnoringCancellation(for: urlRequest)
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        return HTTPResponseData(status: http.statusCode, headers: headers, body: data)
    }
}

extension URLSession {
    /// `data(for:)` that Swift task cancellation does not reach into. On Linux, FoundationNetworking's
    /// async `data(for:)` cancels its task while the Swift runtime holds the cancelled task's status
    /// lock, and waits for the session's queue — which may at that moment be resuming the same task
    /// and waiting for that lock: both threads stop for good (a pull whose concurrent child requests
    /// were cancelled after one of them failed hung that way). Here a cancelled caller's request runs
    /// to its end (bounded by the request timeout), then `CancellationError` is thrown.
    func dataIgnoringCancellation(for request: URLRequest) async throws -> (Data, URLResponse) {
        let (data, response): (Data, URLResponse) = try await withCheckedThrowingContinuation { continuation in
            dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else if let response {
                    continuation.resume(returning: (data ?? Data(), response))
                } else {
                    continuation.resume(throwing: URLError(.badServerResponse))
                }
            }.resume()
        }
        try Task.checkCancellation()
        return (data, response)
    }
}
