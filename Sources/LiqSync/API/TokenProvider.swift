import Foundation
import Logging

/// Hands out the bearer token for each call and keeps an OAuth grant fresh: it refreshes a few
/// minutes before expiry and once after a 401, and writes the rotated pair to the credentials
/// file before using it (HighLevel's refresh tokens are single-use, so losing the new one would
/// lock the workspace out).
public actor TokenProvider {
    private var credential: Credential
    private let store: CredentialStore?
    private let transport: any HTTPTransport
    private let now: @Sendable () -> Date
    /// Refresh when the access token has less than this many seconds left.
    private let refreshMargin: TimeInterval

    public init(
        credential: Credential, store: CredentialStore?, transport: any HTTPTransport, refreshMargin: TimeInterval = 300,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.credential = credential
        self.store = store
        self.transport = transport
        self.refreshMargin = refreshMargin
        self.now = now
    }

    public var current: Credential { credential }

    /// The token to send now, refreshed first when it is about to expire.
    public func accessToken() async throws -> String {
        switch credential {
        case .privateIntegration(let token, _): return token
        case .oauth(let grant):
            if grant.expiresAt.timeIntervalSince(now()) < refreshMargin { return try await refresh(grant).accessToken }
            return grant.accessToken
        }
    }

    /// After a 401 with `failedToken`: refreshes once if the credential can be refreshed and was
    /// not refreshed meanwhile. Returns whether a new token is there to retry with.
    public func recover(from failedToken: String) async throws -> Bool {
        guard case .oauth(let grant) = credential else { return false }
        if grant.accessToken != failedToken { return true }
        _ = try await refresh(grant)
        return true
    }

    private func refresh(_ grant: OAuthGrant) async throws -> OAuthGrant {
        let fresh = try await OAuthTokenExchange(transport: transport, tokenURL: grant.tokenURL, now: now).exchange([
            "grant_type": "refresh_token", "refresh_token": grant.refreshToken, "client_id": grant.clientId,
            "client_secret": grant.clientSecret, "user_type": "Location",
        ], clientSecret: grant.clientSecret, previous: grant)
        try store?.save(.oauth(fresh))
        credential = .oauth(fresh)
        return fresh
    }
}

/// `POST /oauth/token`, form-encoded, as HighLevel's token endpoint takes it.
public struct OAuthTokenExchange: Sendable {
    public let transport: any HTTPTransport
    public let tokenURL: String
    public var now: @Sendable () -> Date = { Date() }

    public init(transport: any HTTPTransport, tokenURL: String, now: @escaping @Sendable () -> Date = { Date() }) {
        self.transport = transport
        self.tokenURL = tokenURL
        self.now = now
    }

    /// Sends the form and returns the grant it yields.
    public func exchange(_ form: [String: String], clientSecret: String, previous: OAuthGrant? = nil) async throws -> OAuthGrant {
        guard let url = URL(string: tokenURL) else {
            throw APIError(kind: .configuration, method: "POST", endpoint: "/oauth/token", message: "The token URL \(tokenURL) is not a URL.")
        }
        try HostPolicy.check(url, method: "POST", endpoint: "/oauth/token")
        let body = form.sorted { $0.key < $1.key }.map { "\($0.key)=\(FormEncoding.escape($0.value))" }.joined(separator: "&")
        let response: HTTPResponseData
        do {
            response = try await transport.send(
                HTTPRequestData(
                    method: "POST", url: url,
                    headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"], body: Data(body.utf8)))
        } catch {
            throw APIError(kind: .network, method: "POST", endpoint: "/oauth/token", message: error.localizedDescription)
        }
        let json = try? JSON.parse(response.body)
        guard response.status == 200, let json, let access = json["access_token"]?.text, let refresh = json["refresh_token"]?.text
        else {
            let message = HighLevelMessage.from(json)
            throw APIError(
                kind: response.status == 401 ? .unauthorized : .invalidRequest, status: response.status, method: "POST",
                endpoint: "/oauth/token", message: message)
        }
        let lifetime = json["expires_in"]?.number ?? 86_399
        return OAuthGrant(
            accessToken: access, refreshToken: refresh, expiresAt: now().addingTimeInterval(lifetime),
            scopes: (json["scope"]?.text ?? "").split(separator: " ").map(String.init),
            locationId: json["locationId"]?.text ?? previous?.locationId, clientId: form["client_id"] ?? previous?.clientId ?? "",
            clientSecret: clientSecret, tokenURL: tokenURL)
    }
}

/// `application/x-www-form-urlencoded` escaping.
enum FormEncoding {
    static let unreserved: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }
}

/// HTTPS everywhere except loopback, where the sandbox and tests live.
enum HostPolicy {
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    static func check(_ url: URL, method: String, endpoint: String) throws {
        guard let scheme = url.scheme?.lowercased(), let host = url.host else {
            throw APIError(kind: .configuration, method: method, endpoint: endpoint, message: "The base URL \(url.absoluteString) has no host.")
        }
        if scheme == "https" || (scheme == "http" && isLoopback(host)) { return }
        throw APIError(
            kind: .configuration, method: method, endpoint: endpoint,
            message: "liqsync talks to \(host) only over HTTPS; change the base URL to https:// (plain HTTP is allowed only on this machine).")
    }
}

/// HighLevel's error message from a body: `message` as a string or a list, else `error`.
enum HighLevelMessage {
    static func from(_ json: JSON?) -> String {
        guard let json else { return "" }
        if let text = json["message"]?.text { return text }
        if let list = json["message"]?.array { return list.compactMap(\.text).joined(separator: "; ") }
        return json["error"]?.text ?? ""
    }
}
