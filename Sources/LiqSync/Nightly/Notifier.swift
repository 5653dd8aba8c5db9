import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Tells someone a nightly run failed or holds changes: a command (`--notify CMD`, run by
/// /bin/sh with the JSON on stdin and the main numbers in LIQSYNC_NOTIFY_* variables) or a JSON
/// POST (`--notify-url`). The message carries counts and paths only — no secrets, no contact
/// data. A notification that cannot be delivered is logged; it never changes the run's result.
public struct Notifier: Sendable {
    public var command: String?
    public var url: URL?
    public var timeout: TimeInterval = 30

    public init(command: String?, url: URL?) throws {
        self.command = command
        self.url = url
        if let url {
            let loopback = ["127.0.0.1", "localhost", "::1"].contains(url.host ?? "")
            guard url.scheme == "https" || (url.scheme == "http" && loopback) else { throw NightlyError.badNotifyURL(url.absoluteString) }
        }
    }

    public var isConfigured: Bool { command != nil || url != nil }

    /// Sends `message`; returns what went wrong, if anything.
    public func send(_ message: NightlyNotification) async -> [String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let body = try? encoder.encode(message) else { return ["the notification could not be encoded"] }
        var problems: [String] = []
        if let command {
            if let problem = run(command, body: body, message: message) { problems.append(problem) }
        }
        if let url {
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.httpBody = body
            request.timeoutInterval = timeout
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            do {
                let (_, response) = try await URLSession(configuration: .ephemeral).dataIgnoringCancellation(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if !(200..<300).contains(status) { problems.append("the notify URL answered \(status)") }
            } catch {
                problems.append("the notify URL could not be reached")
            }
        }
        return problems
    }

    private func run(_ command: String, body: Data, message: NightlyNotification) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var environment = ProcessInfo.processInfo.environment
        environment["LIQSYNC_NOTIFY_STATUS"] = message.status
        environment["LIQSYNC_NOTIFY_EXIT_CODE"] = String(message.exitCode)
        environment["LIQSYNC_NOTIFY_HELD"] = String(message.held)
        environment["LIQSYNC_NOTIFY_CHANGESET"] = message.changeSet ?? ""
        environment["LIQSYNC_NOTIFY_REPORT"] = message.report ?? ""
        // Nothing secret goes to the command: the token variable is not passed on.
        environment["LIQSYNC_TOKEN"] = nil
        process.environment = environment
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return "the notify command could not be started"
        }
        input.fileHandleForWriting.write(body)
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            return "the notify command did not finish in \(Int(timeout)) s"
        }
        return process.terminationStatus == 0 ? nil : "the notify command exited with \(process.terminationStatus)"
    }
}

/// The notification's content (documented in docs/nightly.md).
public struct NightlyNotification: Sendable, Codable, Equatable {
    public var event = "liqsync.nightly"
    /// `failed`, `held` or `rejected-files`.
    public var status: String
    public var exitCode: Int32
    public var workspace: String
    public var startedAt: String
    public var endedAt: String
    public var steps: [NightlyStep]
    public var held: Int
    public var conflicts: Int
    public var failedChanges: Int
    public var rejectedRows: Int
    /// Where drop-folder files that could not be imported were moved.
    public var rejectedFiles: [String] = []
    public var changeSet: String?
    public var report: String?
    public var log: String

    /// The shareable part of a run's result: step details (error text) are replaced by a pointer
    /// to the log, and exports, lock take-overs and notification problems are left out.
    public init(_ result: NightlyResult, workspace: String, log: String) {
        status = result.status
        exitCode = result.exitCode
        self.workspace = workspace
        startedAt = result.startedAt
        endedAt = result.endedAt
        steps = result.steps.map { step in
            var shared = step
            shared.detail = step.status == "failed" ? "failed; see \(log)" : nil
            return shared
        }
        held = result.held
        conflicts = result.conflicts
        failedChanges = result.failedChanges
        rejectedRows = result.rejectedRows
        rejectedFiles = result.rejectedFiles
        changeSet = result.changeSet
        report = result.report
        self.log = log
    }
}
