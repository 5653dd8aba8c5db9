import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// `liqsync listen`: receives HighLevel webhooks. Each request is checked in this order —
/// size, signature (over the exact bytes), JSON, replay window, then stored durably and
/// answered 200; a background task applies stored events to the mirror in arrival order.
/// Duplicates (the same `webhookId`) are answered 200 and not stored again.
public struct WebhookListener: Sendable {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var maxBodyBytes: Int
        public var replayWindow: TimeInterval

        public init(host: String = "127.0.0.1", port: Int = 8787, maxBodyBytes: Int = 1 << 20, replayWindow: TimeInterval = 300) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.replayWindow = replayWindow
        }
    }

    public let database: MirrorDatabase
    public let verifier: WebhookVerifier
    public let applier: WebhookEventApplier
    public let options: Options
    private let logger: Logger
    private let now: @Sendable () -> Date

    public init(
        database: MirrorDatabase, verifier: WebhookVerifier, locationId: String?, options: Options, logger: Logger = Logger(label: "liqsync.listen"),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.database = database
        self.verifier = verifier
        self.applier = WebhookEventApplier(database: database, locationId: locationId, logger: logger)
        self.options = options
        self.logger = logger
        self.now = now
    }

    /// What became of one request.
    public enum Outcome: Sendable, Equatable {
        case stored(String), duplicate(String)
        case refused(status: Int, reason: String)
    }

    /// Checks and stores one request's body; the HTTP handler and tests call this.
    public func receive(body: Data, ghlSignature: String?, whSignature: String?) -> Outcome {
        if body.count > options.maxBodyBytes { return .refused(status: 413, reason: "the body is larger than \(options.maxBodyBytes) bytes") }
        let verdict = verifier.verify(body: body, ghlSignature: ghlSignature, whSignature: whSignature)
        let scheme: String
        switch verdict {
        case .ed25519: scheme = "ed25519"
        case .rsa: scheme = "rsa"
        case .rejected(let reason): return .refused(status: 401, reason: reason)
        }
        guard let json = try? JSON.parse(body), case .object(let fields) = json, let type = fields["type"]?.text else {
            return .refused(status: 400, reason: "the body is not a webhook (a JSON object with a type)")
        }
        let timestamp = fields["timestamp"].flatMap(Timestamp.parse)
        if let timestamp, abs(timestamp.timeIntervalSince(now())) > options.replayWindow {
            return .refused(status: 401, reason: "the timestamp is outside the \(Int(options.replayWindow)) s replay window")
        }
        let id = fields["webhookId"]?.text ?? "sha256:" + SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
        do {
            let stored = try database.storeWebhookEvent(
                webhookId: id, type: type, locationId: fields["locationId"]?.text, eventTime: timestamp.map(Timestamp.format), receivedAt: now(),
                body: body, signature: scheme)
            return stored ? .stored(id) : .duplicate(id)
        } catch {
            logger.error("webhook \(id) could not be stored: \(error.localizedDescription)")
            return .refused(status: 503, reason: "the event could not be stored; HighLevel will retry")
        }
    }

    /// Runs until SIGINT/SIGTERM (or `shutdown` is triggered); `onReady` gets the bound port.
    public func run(signals: Bool = true, onReady: @escaping @Sendable (Int) -> Void) async throws {
        // Events stored by an earlier run but not yet applied (a crash between the two).
        try applier.applyPending()
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let listener = self
        let router = Router()
        router.get("health") { _, _ -> Response in
            let counts = (try? listener.database.webhookEventCounts()) ?? [:]
            return Self.json(.ok, ["status": .string("ok"), "events": .object(counts.mapValues { .number(Double($0)) })])
        }
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > listener.options.maxBodyBytes {
                return Self.json(.contentTooLarge, ["error": .string("the body is larger than \(listener.options.maxBodyBytes) bytes")])
            }
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: listener.options.maxBodyBytes)
            } catch {
                return Self.json(.contentTooLarge, ["error": .string("the body is larger than \(listener.options.maxBodyBytes) bytes")])
            }
            let outcome = listener.receive(
                body: Data(buffer: buffer), ghlSignature: Self.ghlSignature.flatMap { request.headers[$0] },
                whSignature: Self.whSignature.flatMap { request.headers[$0] })
            switch outcome {
            case .stored(let id):
                wake.yield()
                return Self.json(.ok, ["status": .string("stored"), "webhookId": .string(id)])
            case .duplicate(let id):
                return Self.json(.ok, ["status": .string("duplicate"), "webhookId": .string(id)])
            case .refused(let status, let reason):
                listener.logger.warning("webhook refused (\(status)): \(reason)")
                return Self.json(HTTPResponse.Status(code: status), ["error": .string(reason)])
            }
        }
        router.post("webhooks/highlevel", use: handler)
        router.post("webhooks", use: handler)
        var quiet = Logger(label: "liqsync.listen.http")
        quiet.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { channel in onReady(channel.localAddress?.port ?? listener.options.port) }, logger: quiet)
        var configuration = ServiceGroupConfiguration(services: [app], logger: quiet)
        configuration.gracefulShutdownSignals = signals ? [.sigterm, .sigint] : []
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await _ in wakeups {
                    do { try listener.applier.applyPending() } catch { listener.logger.error("applying webhooks: \(error.localizedDescription)") }
                }
            }
            do {
                try await group.run()
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                wake.finish()
                throw WebhookError.portInUse(listener.options.port)
            }
            wake.finish()
            try await tasks.waitForAll()
        }
        try applier.applyPending()
    }

    static let ghlSignature = HTTPField.Name("x-ghl-signature")
    static let whSignature = HTTPField.Name("x-wh-signature")

    static func json(_ status: HTTPResponse.Status, _ object: [String: JSON]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: JSON.object(object).canonicalText)))
    }
}
