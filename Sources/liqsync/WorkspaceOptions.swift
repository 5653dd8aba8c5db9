import ArgumentParser
import Foundation
import LiqSync

/// The flags every workspace command shares.
struct WorkspaceOptions: ParsableArguments {
    @Option(name: .long, help: "The workspace folder (default: $LIQSYNC_WORKSPACE, else the current folder).")
    var workspace: String?

    @Option(name: .long, help: "HighLevel API base URL (overrides LIQSYNC_BASE_URL and the config).")
    var baseURL: String?

    @Option(name: .long, help: "HighLevel location id (overrides LIQSYNC_LOCATION_ID and the config).")
    var locationId: String?

    var resolvedWorkspace: Workspace { Workspace.locate(workspace) }

    func settings() throws -> ResolvedSettings {
        try ResolvedSettings.resolve(workspace: resolvedWorkspace, baseURLFlag: baseURL, locationFlag: locationId)
    }
}

/// Renders values as JSON for `--json`.
enum JSONOutput {
    static func render(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// A one-line progress bar on a terminal; silent when standard error is not a TTY.
final class ProgressLine: @unchecked Sendable {
    // Written from the command's own task only; the lock guards against a late callback.
    private let lock = NSLock()
    private let enabled = isatty(STDERR_FILENO) == 1
    private var lastDrawn = Date.distantPast

    func update(_ label: String, done: Int, total: Int?) {
        guard enabled else { return }
        lock.withLock {
            let now = Date()
            guard now.timeIntervalSince(lastDrawn) > 0.1 || done == total else { return }
            lastDrawn = now
            var line = "\r\(label) \(done)"
            if let total, total > 0 {
                let width = 30
                let filled = min(width, done * width / total)
                line = "\r\(label) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(done)/\(total)"
            }
            try? FileHandle.standardError.write(contentsOf: Data((line + "\u{1B}[K").utf8))
        }
    }

    func finish() {
        guard enabled else { return }
        try? FileHandle.standardError.write(contentsOf: Data("\r\u{1B}[K".utf8))
    }
}
