import ArgumentParser
import Foundation
import LiqSync

/// `liqsync auth`: the HighLevel credential of a workspace.
struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth",
        abstract: "Store, show and test the HighLevel credential of a workspace.",
        discussion: """
            A credential is a Private Integration token (or API key), or an OAuth 2.0 grant. It is kept in \
            credentials.json in the workspace (mode 0600) and never printed.

            Example:
              liqsync auth token < pit.txt
              liqsync auth status
              liqsync auth test
            """,
        subcommands: [AuthTokenCommand.self, AuthLoginCommand.self, AuthStatusCommand.self, AuthTestCommand.self]
    )
}

/// `liqsync auth token`: reads a Private Integration token from standard input.
struct AuthTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Store a Private Integration token or API key, read from standard input.",
        discussion: """
            The token is read from standard input so it never lands in shell history or the process list.

            Example:
              liqsync auth token < ~/secrets/highlevel-pit.txt
            """
    )

    @OptionGroup var options: WorkspaceOptions

    func run() throws {
        let workspace = options.resolvedWorkspace
        guard workspace.isInitialized else { throw WorkspaceError.notInitialized(workspace.root.path) }
        let input = FileHandle.standardInput.readDataToEndOfFile()
        let token = String(decoding: input, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty, !token.contains(where: \.isWhitespace) else {
            throw ValidationError("Standard input held no token; pipe the token in, for example: liqsync auth token < token.txt")
        }
        try workspace.credentialStore.save(.privateIntegration(token: token, scopes: nil))
        Output.line("Stored the Private Integration token in \(workspace.credentialsFile.path) (mode 0600).")
        Output.line("Check what it may do with 'liqsync auth test'.")
    }
}

/// `liqsync auth login`: the OAuth authorization-code flow.
struct AuthLoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in with OAuth 2.0: open the printed URL, approve, and the grant is stored.",
        discussion: """
            Starts a listener on 127.0.0.1 for the redirect, prints the authorization URL, checks the \
            returned state, exchanges the code at <base URL>/oauth/token, and stores the grant. The \
            client secret is read from LIQSYNC_CLIENT_SECRET or, if unset, from standard input.

            Example:
              LIQSYNC_CLIENT_SECRET=… liqsync auth login --client-id 64f…-lq1 --redirect-port 8765
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Option(help: "The Marketplace app's client id (or LIQSYNC_CLIENT_ID).")
    var clientId: String?

    @Option(help: "Scopes to ask for, space-separated.")
    var scopes: String = "contacts.readonly contacts.write"

    @Option(help: "HighLevel's consent page.")
    var authorizeURL: String = OAuthLogin.defaultAuthorizeURL

    @Option(help: "Loopback port of the redirect URL registered for the app; 0 takes any free port.")
    var redirectPort: Int = 8765

    @Option(help: "Seconds to wait for the browser.")
    var timeout: Double = 300

    func run() async throws {
        let workspace = options.resolvedWorkspace
        let settings = try options.settings()
        let environment = ProcessInfo.processInfo.environment
        guard let client = clientId ?? environment["LIQSYNC_CLIENT_ID"], !client.isEmpty else {
            throw ValidationError("Give the app's client id with --client-id or LIQSYNC_CLIENT_ID.")
        }
        var secret = environment["LIQSYNC_CLIENT_SECRET"] ?? ""
        if secret.isEmpty {
            secret = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard !secret.isEmpty else { throw ValidationError("Give the client secret in LIQSYNC_CLIENT_SECRET or on standard input.") }
        var base = settings.baseURL.absoluteString
        if base.hasSuffix("/") { base.removeLast() }
        var login = OAuthLogin(
            clientId: client, clientSecret: secret, scopes: scopes.split(separator: " ").map(String.init), authorizeURL: authorizeURL,
            tokenURL: base + "/oauth/token", redirectPort: redirectPort)
        login.timeout = timeout
        let grant = try await login.run { url in
            Output.line("Open this URL in a browser and approve liqsync:")
            Output.line(url.absoluteString)
        }
        try workspace.credentialStore.save(.oauth(grant))
        var config = try workspace.loadConfig()
        if config.locationId == nil, let location = grant.locationId {
            config.locationId = location
            try workspace.saveConfig(config)
        }
        Output.line("Signed in: OAuth grant for location \(grant.locationId ?? "?") stored (mode 0600); it refreshes itself.")
    }
}

/// `liqsync auth status`: what the credential is, never the secret.
struct AuthStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the credential's kind, location, expiry and scopes (never the secret).",
        discussion: "Example:\n  liqsync auth status --json"
    )

    @OptionGroup var options: WorkspaceOptions

    @Flag(help: "Print as JSON.")
    var json = false

    struct Status: Encodable {
        var kind: String
        var source: String
        var location: String?
        var baseURL: String
        var expires: String?
        var scopes: [String]?
    }

    func run() throws {
        let settings = try options.settings()
        guard let credential = settings.credential else { throw WorkspaceError.noCredential }
        let fromEnvironment = !(ProcessInfo.processInfo.environment["LIQSYNC_TOKEN"] ?? "").isEmpty
        var status = Status(
            kind: "private-integration", source: fromEnvironment ? "LIQSYNC_TOKEN" : "credentials.json", location: settings.locationId,
            baseURL: settings.baseURL.absoluteString, expires: nil, scopes: credential.scopes)
        if case .oauth(let grant) = credential {
            status.kind = "oauth"
            status.expires = Timestamp.format(grant.expiresAt)
        }
        if json {
            Output.line(JSONOutput.render(status))
            return
        }
        Output.line("credential  \(status.kind == "oauth" ? "OAuth grant" : "Private Integration token") (from \(status.source))")
        Output.line("location    \(status.location ?? "not set")")
        Output.line("base URL    \(status.baseURL)")
        if let expires = status.expires { Output.line("expires     \(expires) (refreshed automatically)") }
        Output.line("scopes      \(status.scopes?.joined(separator: " ") ?? "not recorded — run 'liqsync auth test'")")
    }
}

/// `liqsync auth test`: one harmless call per resource.
struct AuthTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Check what the credential may do: one harmless call per resource.",
        discussion: """
            Reads contacts, tasks, notes and appointments, and probes the write scope with a request \
            HighLevel refuses as empty, so nothing changes. Exits 1 when contacts cannot be read.

            Example:
              liqsync auth test
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Flag(help: "Print as JSON.")
    var json = false

    func run() async throws {
        let workspace = options.resolvedWorkspace
        let client = try workspace.makeClient(try options.settings(), retry: RetryPolicy(maxAttempts: 3))
        let results = await CredentialCheck(client: client).run()
        // What the check learned is kept with a stored token, so 'auth status' can show its scopes.
        if ProcessInfo.processInfo.environment["LIQSYNC_TOKEN"]?.isEmpty ?? true,
            case .privateIntegration(let token, _)? = try? workspace.credentialStore.load(), results.first?.outcome == .ok
        {
            try? workspace.credentialStore.save(.privateIntegration(token: token, scopes: CredentialCheck.grantedScopes(results)))
        }
        if json {
            Output.line(JSONOutput.render(results))
        } else {
            for result in results {
                Output.line("\(result.resource.padding(toLength: 13, withPad: " ", startingAt: 0)) \(result.outcome.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(result.detail)")
            }
        }
        if results.first?.outcome != .ok { throw ExitCode(ExitCodes.failure) }
    }
}
