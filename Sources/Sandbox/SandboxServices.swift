import Foundation

/// The sandbox's parts, shared by the routes and by code that drives a running sandbox from
/// the same process (tests, `liqsync demo`).
public struct SandboxServices: Sendable {
    public let store: SandboxStore
    public let tokens: TokenRegistry
    public let limiter: RateLimiter
    public let faults: FaultInjector
    public let requestLog: RequestLog
    public let dataFile: URL?
    /// Present when the configuration names a webhook target.
    public let webhooks: SandboxWebhookEmitter?
    /// Filled in with the real port once the server listens.
    public internal(set) var info: SandboxInfo

    /// Builds the parts from a configuration: loads the data file when it exists, otherwise
    /// generates seeded data; registers the two Private Integration tokens.
    public init(configuration: SandboxConfiguration) async throws {
        let data: SandboxData
        if let file = configuration.dataFile, FileManager.default.fileExists(atPath: file.path) {
            data = try SandboxData.load(from: file)
        } else {
            data = SeedGenerator(
                seed: configuration.seed, contactCount: configuration.contactCount,
                referenceDate: configuration.referenceDate
            ).generate()
        }
        let now = configuration.now
        store = SandboxStore(
            data: data, duplicatePolicy: configuration.duplicatePolicy, idSeed: configuration.seed &+ 0x5EED, now: now)
        let clientSecret = configuration.clientSecret ?? TokenRegistry.secret(prefix: "sbx-secret-")
        tokens = TokenRegistry(
            locationId: data.locationId, clientId: configuration.clientId, clientSecret: clientSecret,
            accessTokenLifetime: configuration.accessTokenLifetime, now: now)
        let full = await tokens.addPrivateIntegrationToken(
            configuration.fullAccessToken, scopes: [Principal.readScope, Principal.writeScope])
        let readOnly = await tokens.addPrivateIntegrationToken(configuration.readOnlyToken, scopes: [Principal.readScope])
        limiter = RateLimiter(policy: configuration.rateLimit, clock: { now().timeIntervalSince1970 })
        faults = FaultInjector(plan: configuration.faults)
        requestLog = RequestLog(capacity: configuration.requestLogCapacity)
        dataFile = configuration.dataFile
        webhooks = configuration.webhook.map(SandboxWebhookEmitter.init)
        await store.setWebhooks(webhooks)
        info = SandboxInfo(
            baseURL: "http://\(configuration.host):\(configuration.port)", locationId: data.locationId, token: full,
            readOnlyToken: readOnly, adminKey: configuration.adminKey ?? TokenRegistry.secret(prefix: "sbx-admin-"),
            clientId: configuration.clientId, clientSecret: clientSecret, authorizeURL: "", contacts: data.contacts.count)
    }
}
