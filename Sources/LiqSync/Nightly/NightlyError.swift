import Foundation

/// A nightly run cannot start or go on.
public enum NightlyError: Error, LocalizedError, Equatable {
    case badPolicy(String, String)
    case lock(String)
    case locked(String, String)
    case missingExport(String)
    case badNotifyURL(String)

    public var errorDescription: String? {
        switch self {
        case .badPolicy(let path, let detail): "The policy file \(path) cannot be used: \(detail) (see docs/nightly.md)."
        case .lock(let detail): "The nightly lock cannot be taken: \(detail)."
        case .locked(let who, let path):
            "Another nightly run is in progress (\(who)); this one stops. If no liqsync runs, the lock \(path) is released by itself once that process is gone."
        case .missingExport(let path): "The LocaliQ export \(path) does not exist; check --export (a file or the drop folder LocaliQ exports go to)."
        case .badNotifyURL(let url): "--notify-url \(url) must be https:// (http:// only for this machine)."
        }
    }
}
