import Foundation

/// What liqsync authenticates with. Stored only in the workspace's credentials file (mode 0600)
/// or given through the environment; its secrets never appear in descriptions.
public enum Credential: Sendable, Equatable, Codable, CustomStringConvertible {
    /// A Private Integration token or API key: a fixed bearer token.
    case privateIntegration(token: String, scopes: [String]?)
    /// An OAuth 2.0 grant: access token, single-use refresh token, and the client that refreshes it.
    case oauth(OAuthGrant)

    public var description: String {
        switch self {
        case .privateIntegration: "Private Integration token"
        case .oauth(let grant): "OAuth access token (expires \(Timestamp.format(grant.expiresAt)))"
        }
    }

    /// The scopes known for the credential, if any were recorded.
    public var scopes: [String]? {
        switch self {
        case .privateIntegration(_, let scopes): scopes
        case .oauth(let grant): grant.scopes
        }
    }
}

/// An OAuth grant as HighLevel's token endpoint returns it.
public struct OAuthGrant: Sendable, Equatable, Codable {
    public var accessToken: String
    public var refreshToken: String
    public var expiresAt: Date
    public var scopes: [String]
    public var locationId: String?
    public var clientId: String
    public var clientSecret: String
    /// Where refreshes go: `<base URL>/oauth/token`.
    public var tokenURL: String

    public init(
        accessToken: String, refreshToken: String, expiresAt: Date, scopes: [String], locationId: String?, clientId: String,
        clientSecret: String, tokenURL: String
    ) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.scopes = scopes
        self.locationId = locationId
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.tokenURL = tokenURL
    }
}

/// Reads and writes the credentials file. Every write goes to a temporary file created with mode
/// 0600 in the same folder, is flushed, then renamed over the old one, so a crash leaves either
/// the old credential or the new one — never half of one, never a readable one.
public struct CredentialStore: Sendable {
    public let file: URL

    public init(file: URL) {
        self.file = file
    }

    public func load() throws -> Credential? {
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(Credential.self, from: Data(contentsOf: file))
        } catch {
            throw WorkspaceError.unreadableCredentials(file.path)
        }
    }

    public func save(_ credential: Credential) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(credential)
        try AtomicFile.write(data, to: file, mode: 0o600)
    }

    public func delete() throws {
        if FileManager.default.fileExists(atPath: file.path) { try FileManager.default.removeItem(at: file) }
    }
}
