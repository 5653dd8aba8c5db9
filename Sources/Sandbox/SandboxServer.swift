import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// A local HighLevel-compatible API server. It is never the real service: it answers on
/// loopback, with seeded data, and says so on start.
public enum SandboxServer {
    /// Starts a sandbox, runs `body` with it, and shuts it down on every path out.
    public static func withRunning<T: Sendable>(
        _ configuration: SandboxConfiguration = SandboxConfiguration(),
        _ body: (SandboxServices) async throws -> T
    ) async throws -> T {
        var services = try await SandboxServices(configuration: configuration)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = makeApplication(services: services, configuration: configuration) { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        let group = serviceGroup(app, signals: [])
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var port: Int?
            for await value in ports { port = value }
            guard let port else {
                try await tasks.next()
                throw SandboxStartError(host: configuration.host, port: configuration.port)
            }
            services.info = services.info.withPort(port, host: configuration.host)
            do {
                let result = try await body(services)
                await group.triggerGracefulShutdown()
                // Once shutdown is asked for, what the group reports (a cancelled idle connection) is not a failure.
                try? await tasks.waitForAll()
                try await save(services)
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// Runs a sandbox until SIGINT or SIGTERM, then saves its data file (if any) and returns.
    public static func runUntilSignalled(
        _ configuration: SandboxConfiguration, onReady: @escaping @Sendable (SandboxInfo) -> Void
    ) async throws {
        let services = try await SandboxServices(configuration: configuration)
        let app = makeApplication(services: services, configuration: configuration) { port in
            onReady(services.info.withPort(port, host: configuration.host))
        }
        try await serviceGroup(app, signals: [.sigterm, .sigint]).run()
        try await save(services)
    }

    private static func save(_ services: SandboxServices) async throws {
        if let file = services.dataFile { try await services.store.snapshot().write(to: file) }
    }

    /// Clients may hold idle keep-alive connections; shutdown waits for them at most two seconds.
    private static func serviceGroup(_ app: some Service, signals: [UnixSignal]) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(services: [app], logger: quietLogger)
        configuration.gracefulShutdownSignals = signals
        configuration.maximumGracefulShutdownDuration = .seconds(2)
        return ServiceGroup(configuration: configuration)
    }

    static let quietLogger: Logger = {
        var logger = Logger(label: "liqsync.sandbox")
        logger.logLevel = .critical
        return logger
    }()

    static func makeApplication(
        services: SandboxServices, configuration: SandboxConfiguration, onPort: @escaping @Sendable (Int) -> Void
    ) -> some ApplicationProtocol {
        let router = Router(context: SandboxRequestContext.self)
        router.add(middleware: GatewayMiddleware(log: services.requestLog, faults: services.faults))
        OAuthRoutes(tokens: services.tokens).register(on: router)
        AdminRoutes(sandbox: services).register(on: router)
        let api = router.group().add(middleware: AuthMiddleware(tokens: services.tokens, limiter: services.limiter))
        ContactRoutes(store: services.store).register(on: api)
        ActivityRoutes(store: services.store).register(on: api)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in onPort(channel.localAddress?.port ?? 0) },
            logger: quietLogger)
    }
}

/// The sandbox could not listen where it was asked to.
public struct SandboxStartError: Error, LocalizedError {
    public var host: String
    public var port: Int
    public var errorDescription: String? {
        "The sandbox could not listen on \(host):\(port); choose another port with --port, or 0 for any free one."
    }
}

extension SandboxInfo {
    func withPort(_ port: Int, host: String) -> SandboxInfo {
        var copy = self
        copy.baseURL = "http://\(host):\(port)"
        copy.authorizeURL = "\(copy.baseURL)/oauth/chooselocation"
        return copy
    }
}
