import Crypto
import Foundation
import _CryptoExtras

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where the sandbox sends webhooks and the keys it signs them with, as HighLevel signs them:
/// `x-ghl-signature` (Ed25519 over the raw body, base64) and, when an RSA key is given, the
/// legacy `x-wh-signature` (RSA PKCS#1 v1.5 with SHA-256, base64).
public struct SandboxWebhookTarget: Sendable {
    public var url: URL
    /// The Ed25519 private key's 32 raw bytes.
    public var ed25519PrivateKey: Data
    /// An RSA private key (PEM) for the legacy header, or nil to send only `x-ghl-signature`.
    public var rsaPrivateKeyPEM: String?
    /// Deliveries tried per event before it is given up (HighLevel retries too).
    public var attempts: Int

    public init(url: URL, ed25519PrivateKey: Data, rsaPrivateKeyPEM: String? = nil, attempts: Int = 5) {
        self.url = url
        self.ed25519PrivateKey = ed25519PrivateKey
        self.rsaPrivateKeyPEM = rsaPrivateKeyPEM
        self.attempts = attempts
    }

    /// A new Ed25519 key (raw bytes) for a sandbox run.
    public static func newEd25519Key() -> Data { Curve25519.Signing.PrivateKey().rawRepresentation }

    /// The public half of `ed25519PrivateKey` as an SPKI PEM, to put in the listener's config.
    public var ed25519PublicKeyPEM: String? {
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: ed25519PrivateKey) else { return nil }
        let spki = Data([0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]) + key.publicKey.rawRepresentation
        return "-----BEGIN PUBLIC KEY-----\n\(spki.base64EncodedString())\n-----END PUBLIC KEY-----\n"
    }
}

/// Sends the sandbox's webhooks, one at a time in the order the changes happened, retrying a
/// delivery that fails (non-2xx or no answer) with growing pauses.
public final class SandboxWebhookEmitter: Sendable {
    public struct Stats: Sendable, Equatable {
        public var queued = 0
        public var delivered = 0
        public var failed = 0
        public var attempts = 0
    }

    private let continuation: AsyncStream<Data>.Continuation
    private let counter = LockedStats()

    public init(target: SandboxWebhookTarget) {
        let (stream, continuation) = AsyncStream.makeStream(of: Data.self)
        self.continuation = continuation
        let counter = self.counter
        Task {
            let session = URLSession(configuration: .ephemeral)
            for await body in stream {
                var delivered = false
                for attempt in 0..<max(1, target.attempts) {
                    counter.update { $0.attempts += 1 }
                    if await Self.deliver(body, to: target, session: session) {
                        delivered = true
                        break
                    }
                    try? await Task.sleep(for: .milliseconds(100 * (1 << min(attempt, 6))))
                }
                counter.update { if delivered { $0.delivered += 1 } else { $0.failed += 1 } }
            }
        }
    }

    deinit {
        continuation.finish()
    }

    /// Queues an event; `payload` gets `webhookId` and `timestamp`.
    func emit(_ payload: [String: JSONValue], at time: Date) {
        var payload = payload
        payload["webhookId"] = .string(UUID().uuidString.lowercased())
        payload["timestamp"] = .string(SandboxTime.iso8601(time))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let body = try? encoder.encode(JSONValue.object(payload)) else { return }
        counter.update { $0.queued += 1 }
        continuation.yield(body)
    }

    public var stats: Stats { counter.read() }

    /// Waits until every queued event was delivered or given up, at most `timeout` seconds.
    public func drain(timeout: TimeInterval = 30) async {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let stats = counter.read()
            if stats.delivered + stats.failed >= stats.queued { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    static func deliver(_ body: Data, to target: SandboxWebhookTarget, session: URLSession) async -> Bool {
        var request = URLRequest(url: target.url)
        request.httpMethod = "POST"
        request.httpBody = body
        request.timeoutInterval = 10
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: target.ed25519PrivateKey),
            let signature = try? key.signature(for: body)
        {
            request.setValue(signature.base64EncodedString(), forHTTPHeaderField: "x-ghl-signature")
        }
        if let pem = target.rsaPrivateKeyPEM, let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem),
            let signature = try? key.signature(for: body, padding: .insecurePKCS1v1_5)
        {
            request.setValue(signature.rawRepresentation.base64EncodedString(), forHTTPHeaderField: "x-wh-signature")
        }
        guard let (_, response) = try? await session.data(for: request), let http = response as? HTTPURLResponse else { return false }
        return (200..<300).contains(http.statusCode)
    }
}

/// The emitter's counters, shared between the store (which queues) and the sender.
private final class LockedStats: @unchecked Sendable {
    private let lock = NSLock()
    private var stats = SandboxWebhookEmitter.Stats()

    func update(_ change: (inout SandboxWebhookEmitter.Stats) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        change(&stats)
    }

    func read() -> SandboxWebhookEmitter.Stats {
        lock.lock()
        defer { lock.unlock() }
        return stats
    }
}
