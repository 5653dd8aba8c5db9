import Foundation

/// How a sandbox starts: where it listens, what data it holds, its limits and faults.
public struct SandboxConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 takes any free port; the chosen one is in `SandboxInfo.baseURL`.
    public var port: Int = 0
    public var seed: UInt64 = 1
    public var contactCount: Int = 200
    public var referenceDate: Date = SeedGenerator.defaultReferenceDate
    /// Loaded instead of generated data when the file exists; written on `save` and at shutdown.
    public var dataFile: URL?
    public var rateLimit: RateLimitPolicy = .highLevel
    public var faults: FaultPlan = .none
    public var duplicatePolicy = DuplicatePolicy()
    /// Lifetime of OAuth access tokens, in seconds (HighLevel's: a day).
    public var accessTokenLifetime: TimeInterval = 86_399
    /// Fixed secrets for scripted use; random ones are made when nil.
    public var fullAccessToken: String?
    public var readOnlyToken: String?
    public var adminKey: String?
    public var clientId: String = "sandbox-client"
    public var clientSecret: String?
    public var requestLogCapacity: Int = 1_000_000
    /// Send signed webhooks for changes made through the API to this target.
    public var webhook: SandboxWebhookTarget?
    /// The clock every timestamp and window uses; tests move it to expire tokens.
    public var now: @Sendable () -> Date = { Date() }

    public init() {}
}

/// What a started sandbox tells its user: where it is and the credentials that work against it.
public struct SandboxInfo: Sendable, Codable, Equatable {
    public var baseURL: String
    public var locationId: String
    /// A Private Integration token with `contacts.readonly` and `contacts.write`.
    public var token: String
    /// A Private Integration token with `contacts.readonly` only.
    public var readOnlyToken: String
    public var adminKey: String
    public var clientId: String
    public var clientSecret: String
    public var authorizeURL: String
    public var contacts: Int
}
