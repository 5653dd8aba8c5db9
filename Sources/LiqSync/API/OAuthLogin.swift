import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// HighLevel's OAuth 2.0 authorization-code flow for a command-line user: a loopback redirect
/// catches the code (checking `state`), which is exchanged for a grant at the token endpoint.
public struct OAuthLogin: Sendable {
    public static let defaultAuthorizeURL = "https://marketplace.gohighlevel.com/v2/oauth/chooselocation"

    public var clientId: String
    public var clientSecret: String
    public var scopes: [String]
    public var authorizeURL: String
    /// `<base URL>/oauth/token`.
    public var tokenURL: String
    /// The loopback port of the redirect (`http://127.0.0.1:PORT/callback`); it must match the
    /// redirect URL registered for the app. 0 takes any free port.
    public var redirectPort: Int
    /// How long to wait for the browser, in seconds.
    public var timeout: Double = 300
    public var transport: any HTTPTransport = URLSessionTransport()

    public init(clientId: String, clientSecret: String, scopes: [String], authorizeURL: String, tokenURL: String, redirectPort: Int) {
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.scopes = scopes
        self.authorizeURL = authorizeURL
        self.tokenURL = tokenURL
        self.redirectPort = redirectPort
    }

    /// Runs the flow: `openAuthorizeURL` is called with the URL to visit once the redirect
    /// listener is up. Throws `OAuthLoginError` on a mismatched state, a denial or a time-out.
    public func run(openAuthorizeURL: @escaping @Sendable (URL) -> Void) async throws -> OAuthGrant {
        let state = UUID().uuidString.lowercased()
        let (results, continuation) = AsyncStream.makeStream(of: Result<(code: String, redirect: String), OAuthLoginError>.self)
        let router = Router()
        router.get("callback") { request, _ -> Response in
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            let redirect = "http://\(request.head.authority ?? "127.0.0.1")/callback"
            if query["state"] != state {
                return Self.page("The sign-in answer did not match this login; close this window and run 'liqsync auth login' again.") {
                    continuation.yield(.failure(.stateMismatch))
                }
            }
            guard let code = query["code"], !code.isEmpty else {
                let reason = query["error"] ?? "no code"
                return Self.page("HighLevel did not grant access. You can close this window.") {
                    continuation.yield(.failure(.denied(reason)))
                }
            }
            return Self.page("liqsync is signed in to HighLevel. You can close this window.") {
                continuation.yield(.success((code, redirect)))
            }
        }
        let login = self
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: redirectPort)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? login.redirectPort
                if let url = login.authorizeURL(state: state, redirect: "http://127.0.0.1:\(port)/callback") { openAuthorizeURL(url) }
            },
            logger: Self.quiet)
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: Self.quiet)
        let outcome: Result<(code: String, redirect: String), OAuthLoginError> = try await withThrowingTaskGroup(
            of: Result<(code: String, redirect: String), OAuthLoginError>?.self
        ) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                for await result in results { return result }
                return nil
            }
            tasks.addTask {
                try await Task.sleep(for: .seconds(login.timeout))
                return .failure(.timedOut)
            }
            var first: Result<(code: String, redirect: String), OAuthLoginError>?
            while first == nil, let next = try await tasks.next() { first = next }
            await group.triggerGracefulShutdown()
            continuation.finish()
            tasks.cancelAll()
            return first ?? .failure(.timedOut)
        }
        let (code, redirect) = try outcome.get()
        return try await OAuthTokenExchange(transport: transport, tokenURL: tokenURL).exchange(
            [
                "grant_type": "authorization_code", "code": code, "client_id": clientId, "client_secret": clientSecret,
                "user_type": "Location", "redirect_uri": redirect,
            ], clientSecret: clientSecret)
    }

    /// The consent URL: response_type, client_id, redirect_uri, space-separated scopes, state.
    func authorizeURL(state: String, redirect: String) -> URL? {
        var components = URLComponents(string: authorizeURL)
        components?.queryItems = [
            URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "client_id", value: clientId),
            URLQueryItem(name: "redirect_uri", value: redirect), URLQueryItem(name: "scope", value: scopes.joined(separator: " ")),
            URLQueryItem(name: "state", value: state),
        ]
        return components?.url
    }

    /// The page for the browser; `then` runs once the page is written, so the listener is not
    /// closed under it.
    private static func page(_ message: String, then: @escaping @Sendable () -> Void) -> Response {
        let html = "<!doctype html><html><head><meta charset=\"utf-8\"><title>liqsync</title></head><body><p>\(message)</p></body></html>"
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        let buffer = ByteBuffer(string: html)
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody(contentLength: buffer.readableBytes) { writer in
                try await writer.write(buffer)
                try await writer.finish(nil)
                then()
            })
    }

    private static let quiet: Logger = {
        var logger = Logger(label: "liqsync.oauth")
        logger.logLevel = .critical
        return logger
    }()
}

/// Why a login did not finish.
public enum OAuthLoginError: Error, LocalizedError, Equatable {
    case stateMismatch
    case denied(String)
    case timedOut

    public var errorDescription: String? {
        switch self {
        case .stateMismatch: "The redirect carried a different state than this login sent, so it was ignored; run 'liqsync auth login' again."
        case .denied(let reason): "HighLevel did not grant access (\(reason)); run 'liqsync auth login' again and approve the app."
        case .timedOut: "No answer came back from the browser in time; run 'liqsync auth login' again."
        }
    }
}
