import Foundation

/// Problems with the workspace folder, its config or its credential, each a sentence saying what to do.
public enum WorkspaceError: Error, LocalizedError, Equatable {
    case notInitialized(String)
    case alreadyInitialized(String)
    case unreadableConfig(String, String)
    case unreadableCredentials(String)
    case noCredential
    case noLocation
    case invalidBaseURL(String)
    case locked(String)

    public var errorDescription: String? {
        switch self {
        case .notInitialized(let path):
            "\(path) is not a liqsync workspace; run 'liqsync init' there first (or pass --workspace DIR)."
        case .alreadyInitialized(let path):
            "\(path) is already a liqsync workspace; its config was left as it is."
        case .unreadableConfig(let path, let detail):
            "The workspace config \(path) could not be read (\(detail)); fix it or move it away and run 'liqsync init'."
        case .unreadableCredentials(let path):
            "The credentials file \(path) could not be read; store the credential again with 'liqsync auth token' or 'liqsync auth login'."
        case .noCredential:
            "No HighLevel credential is set up; run 'liqsync auth token' (Private Integration token) or 'liqsync auth login' (OAuth), or set LIQSYNC_TOKEN."
        case .noLocation:
            "No HighLevel location id is set; add location_id to the workspace config, set LIQSYNC_LOCATION_ID, or pass --location-id."
        case .invalidBaseURL(let text):
            "The base URL \(text) is not a URL; use for example https://services.leadconnectorhq.com."
        case .locked(let detail):
            detail
        }
    }
}
