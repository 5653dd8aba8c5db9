import ArgumentParser
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
        subcommands: [DemoCommand.self, SandboxCommand.self]
    )
}
