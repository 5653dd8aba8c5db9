import ArgumentParser
import Foundation
import LiqSync

/// The `liqsync` command: keeps a HighLevel sub-account and a LocaliQ account in step.
@main
struct LiqSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liqsync",
        abstract: "Keep a HighLevel sub-account and a LocaliQ account in step, offline-first.",
        discussion: """
            liqsync pulls HighLevel contacts into a local mirror, imports LocaliQ exports, plans the \
            changes between them for a person to review, applies what was approved, and writes reports.

            Exit codes: 0 ok, 1 failure, 2 usage, 3 partial (some changes failed), 4 stale or conflicting \
            changes need review.

            Example:
              liqsync demo
            """,
        version: LiqSyncVersion.current,
        subcommands: [
            InitCommand.self, AuthCommand.self, PullCommand.self, SearchCommand.self, ImportCommand.self, PlanCommand.self, ReviewCommand.self, ApplyCommand.self, UndoCommand.self, LinkCommand.self, PruneCommand.self, ReportCommand.self, ListenCommand.self, NightlyCommand.self, FixturesCommand.self, SandboxCommand.self, DemoCommand.self,
        ]
    )

    /// Runs the command and maps failures to the documented exit codes: argument problems are 2
    /// (not ArgumentParser's 64), and every other error prints one sentence and exits 1.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                Output.line(fullMessage(for: error))
                Foundation.exit(0)
            }
            Output.error(fullMessage(for: error))
            Foundation.exit(code == .validationFailure ? 2 : ExitCodes.code(for: error))
        }
    }
}

/// The exit codes documented in `liqsync --help`.
enum ExitCodes {
    static let failure: Int32 = 1
    static let usage: Int32 = 2
    static let partial: Int32 = 3
    static let needsReview: Int32 = 4

    static func code(for error: any Error) -> Int32 {
        if let exit = error as? ExitCode { return exit.rawValue }
        return failure
    }
}
