import Foundation

/// Bearer tokens, OAuth authorization codes and refresh tokens. Refresh tokens and codes are
/// single-use: using one spends it, as HighLevel's are.
public actor TokenRegistry {
    struct RefreshGrant {
        var budgetKey: String
        var clientId: String
        var scopes: Set<String>
    }

    struct CodeGrant {
        var clientId: String
        var redirectURI: String?
        var scopes: Set<String>
        var expiresAt: Date
    }

    public let locationId: String
    public let clientId: String
    let clientSecret: String
    public var accessTokenLifetime: TimeInterval
    private var accessTokens: [String: Principal] = [:]
    private var refreshTokens: [String: RefreshGrant] = [:]
    private var codes: [String: CodeGrant] = [:]
    private var grantCounter = 0
    private let now: @Sendable () -> Date

    init(locationId: String, clientId: String, clientSecret: String, accessTokenLifetime: TimeInterval, now: @escaping @Sendable () -> Date) {
        self.locationId = locationId
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.accessTokenLifetime = accessTokenLifetime
        self.now = now
    }

    /// A random secret: 32 bytes from the system generator, base64url.
    static func secret(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + text
    }

    /// Registers a Private Integration token with the given scopes (or makes one up).
    @discardableResult
    public func addPrivateIntegrationToken(_ token: String? = nil, scopes: Set<String>) -> String {
        let token = token ?? Self.secret(prefix: "pit-")
        accessTokens[token] = Principal(
            kind: .privateIntegration, budgetKey: "pit:\(token)", locationId: locationId, scopes: scopes, expiresAt: nil)
        return token
    }

    /// The principal of a token, or nil when it is unknown or expired.
    public func principal(for token: String) -> Principal? {
        guard let principal = accessTokens[token] else { return nil }
        if let expiry = principal.expiresAt, expiry <= now() { return nil }
        return principal
    }

    /// Mints an authorization code, as HighLevel's consent screen does after the user approves.
    public func issueCode(clientId: String, redirectURI: String?, scopes: Set<String>) throws(SandboxAPIError) -> String {
        guard clientId == self.clientId else { throw .badRequest("Unknown client_id") }
        let code = Self.secret(prefix: "")
        codes[code] = CodeGrant(clientId: clientId, redirectURI: redirectURI, scopes: scopes, expiresAt: now().addingTimeInterval(600))
        return code
    }

    /// `POST /oauth/token` with a form body: `authorization_code` or `refresh_token`.
    func exchange(form: [String: String]) throws(SandboxAPIError) -> JSONValue {
        var problems: [String] = []
        for key in ["client_id", "client_secret", "grant_type"] where (form[key] ?? "").isEmpty {
            problems.append("\(key) should not be empty")
        }
        let grantType = form["grant_type"] ?? ""
        if !grantType.isEmpty, !["authorization_code", "refresh_token", "client_credentials"].contains(grantType) {
            problems.append("grant_type must be a valid enum value")
        }
        if let userType = form["user_type"], !["Company", "Location"].contains(userType) {
            problems.append("user_type must be a valid enum value")
        }
        if !problems.isEmpty { throw .unprocessable(problems) }
        guard form["client_id"] == clientId, form["client_secret"] == clientSecret else {
            throw SandboxAPIError(status: 401, message: "Invalid client credentials", error: "Unauthorized")
        }
        let budgetKey: String
        let scopes: Set<String>
        switch grantType {
        case "authorization_code":
            guard let code = form["code"], let grant = codes.removeValue(forKey: code), grant.expiresAt > now() else {
                throw SandboxAPIError(status: 401, message: "Invalid grant: authorization code is invalid", error: "Unauthorized")
            }
            if let expected = grant.redirectURI, let given = form["redirect_uri"], expected != given {
                throw SandboxAPIError(status: 401, message: "Invalid grant: redirect_uri does not match", error: "Unauthorized")
            }
            grantCounter += 1
            budgetKey = "oauth:\(clientId):\(locationId):\(grantCounter)"
            scopes = grant.scopes
        case "refresh_token":
            guard let token = form["refresh_token"], let grant = refreshTokens.removeValue(forKey: token) else {
                throw SandboxAPIError(status: 401, message: "Invalid grant: refresh token is invalid", error: "Unauthorized")
            }
            budgetKey = grant.budgetKey
            scopes = grant.scopes
        default:
            throw SandboxAPIError(status: 400, message: "grant_type \(grantType) is not supported for sub-account tokens")
        }
        let accessToken = Self.secret(prefix: "")
        let refreshToken = Self.secret(prefix: "")
        accessTokens[accessToken] = Principal(
            kind: .oauth, budgetKey: budgetKey, locationId: locationId, scopes: scopes,
            expiresAt: now().addingTimeInterval(accessTokenLifetime))
        refreshTokens[refreshToken] = RefreshGrant(budgetKey: budgetKey, clientId: clientId, scopes: scopes)
        return .object([
            "access_token": .string(accessToken),
            "token_type": .string("Bearer"),
            "expires_in": .number(accessTokenLifetime.rounded()),
            "refresh_token": .string(refreshToken),
            "scope": .string(scopes.sorted().joined(separator: " ")),
            "userType": .string("Location"),
            "locationId": .string(locationId),
            "companyId": .string("sandbox-company"),
            "userId": .string("sandbox-user"),
            "isBulkInstallation": .bool(false),
        ])
    }
}
