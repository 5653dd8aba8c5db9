import Foundation

/// One folder per HighLevel location ↔ LocaliQ account: the config, the mirror, change sets,
/// exports, reports and logs.
public struct Workspace: Sendable {
    public static let configFileName = "liqsync.yaml"

    public let root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    /// `--workspace DIR`, else `LIQSYNC_WORKSPACE`, else the current folder.
    public static func locate(_ flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> Workspace {
        let path = flag ?? environment["LIQSYNC_WORKSPACE"] ?? FileManager.default.currentDirectoryPath
        return Workspace(root: URL(fileURLWithPath: path))
    }

    public var configFile: URL { root.appendingPathComponent(Self.configFileName) }
    public var mirrorFile: URL { root.appendingPathComponent("mirror.sqlite") }
    public var credentialsFile: URL { root.appendingPathComponent("credentials.json") }
    public var changeSets: URL { root.appendingPathComponent("changesets") }
    public var exports: URL { root.appendingPathComponent("exports") }
    public var reports: URL { root.appendingPathComponent("reports") }
    public var logs: URL { root.appendingPathComponent("logs") }

    public var isInitialized: Bool { FileManager.default.fileExists(atPath: configFile.path) }

    /// Creates the folders and a commented config. An existing config is kept as it is.
    @discardableResult
    public func initialize(config: WorkspaceConfig) throws -> Bool {
        let manager = FileManager.default
        for folder in [root, changeSets, exports, reports, logs] {
            try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        if isInitialized { return false }
        try AtomicFile.write(Data(config.rendered().utf8), to: configFile)
        return true
    }

    /// Reads the config; throws `notInitialized` when there is none.
    public func loadConfig() throws -> WorkspaceConfig {
        guard isInitialized else { throw WorkspaceError.notInitialized(root.path) }
        let text: String
        do {
            text = try String(contentsOf: configFile, encoding: .utf8)
        } catch {
            throw WorkspaceError.unreadableConfig(configFile.path, "not readable as UTF-8 text")
        }
        return try WorkspaceConfig.parse(text, path: configFile.path)
    }

    /// Rewrites the config (used when a login learns the location id).
    public func saveConfig(_ config: WorkspaceConfig) throws {
        try AtomicFile.write(Data(config.rendered().utf8), to: configFile)
    }

    public var credentialStore: CredentialStore { CredentialStore(file: credentialsFile) }
}

/// The settings a command runs with, after flags, environment and config file are merged
/// (in that order of precedence).
public struct ResolvedSettings: Sendable {
    public var baseURL: URL
    public var locationId: String?
    public var credential: Credential?
    public var timezone: String

    /// Merges `flags` over `LIQSYNC_…` environment variables over the config file.
    public static func resolve(
        workspace: Workspace, baseURLFlag: String? = nil, locationFlag: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ResolvedSettings {
        let config = try workspace.loadConfig()
        let baseText = baseURLFlag ?? environment["LIQSYNC_BASE_URL"] ?? config.baseURL
        guard let baseURL = URL(string: baseText), baseURL.host != nil else { throw WorkspaceError.invalidBaseURL(baseText) }
        let location = locationFlag ?? environment["LIQSYNC_LOCATION_ID"].flatMap { $0.isEmpty ? nil : $0 } ?? config.locationId
        var credential: Credential?
        if let token = environment["LIQSYNC_TOKEN"], !token.isEmpty {
            credential = .privateIntegration(token: token, scopes: nil)
        } else if config.credential == .file {
            credential = try workspace.credentialStore.load()
        }
        return ResolvedSettings(baseURL: baseURL, locationId: location, credential: credential, timezone: config.timezone)
    }
}
