import Foundation
import Logging

extension Workspace {
    /// The API client for this workspace: settings' base URL and location, the credential kept
    /// fresh (and rotated pairs saved to this workspace), calls audited to `logs/`.
    public func makeClient(
        _ settings: ResolvedSettings, transport: any HTTPTransport = URLSessionTransport(), pacer: RequestPacer = RequestPacer(),
        retry: RetryPolicy = RetryPolicy()
    ) throws -> HighLevelClient {
        guard let credential = settings.credential else { throw WorkspaceError.noCredential }
        guard let location = settings.locationId else { throw WorkspaceError.noLocation }
        let store: CredentialStore? = if case .oauth = credential { credentialStore } else { nil }
        let tokens = TokenProvider(credential: credential, store: store, transport: transport)
        return try HighLevelClient(
            baseURL: settings.baseURL, locationId: location, tokens: tokens, transport: transport, pacer: pacer, retry: retry,
            audit: AuditLog(directory: logs))
    }

    /// Opens (creating if needed) the workspace's mirror.
    public func openMirror() throws -> MirrorDatabase {
        guard isInitialized else { throw WorkspaceError.notInitialized(root.path) }
        return try MirrorDatabase(file: mirrorFile)
    }
}
