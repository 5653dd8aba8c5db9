import Crypto
import Foundation
import _CryptoExtras

/// Checks a webhook's signature over the exact bytes received: `x-ghl-signature` (Ed25519)
/// first, then the legacy `x-wh-signature` (RSA PKCS#1 v1.5 with SHA-256), as HighLevel's SDK does.
public struct WebhookVerifier: Sendable {
    public enum Verdict: Sendable, Equatable {
        case ed25519, rsa
        case rejected(String)
    }

    /// The keys' bytes (the key types are not `Sendable`; they are rebuilt per check, which
    /// costs microseconds).
    let ed25519Raw: Data?
    let rsaDER: Data?

    var ed25519: Curve25519.Signing.PublicKey? { ed25519Raw.flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) } }
    var rsa: _RSA.Signing.PublicKey? { rsaDER.flatMap { try? _RSA.Signing.PublicKey(derRepresentation: $0) } }

    public var hasKeys: Bool { ed25519Raw != nil || rsaDER != nil }

    public init(ed25519: String?, rsa: String?) throws {
        ed25519Raw = try ed25519.map(Self.ed25519Key)?.rawRepresentation
        do {
            rsaDER = try rsa.map { try _RSA.Signing.PublicKey(pemRepresentation: $0).derRepresentation }
        } catch {
            throw WebhookError.badKey("the RSA public key is not a PEM public key of 2048 bits or more")
        }
    }

    public func verify(body: some DataProtocol, ghlSignature: String?, whSignature: String?) -> Verdict {
        let ed25519 = ed25519
        let rsa = rsa
        if let ghlSignature, let key = ed25519 {
            guard let signature = Data(base64Encoded: ghlSignature.trimmingCharacters(in: .whitespaces)) else {
                return .rejected("x-ghl-signature is not base64")
            }
            if key.isValidSignature(signature, for: body) { return .ed25519 }
            if whSignature == nil || rsa == nil { return .rejected("x-ghl-signature does not verify") }
        }
        if let whSignature, let key = rsa {
            guard let bytes = Data(base64Encoded: whSignature.trimmingCharacters(in: .whitespaces)) else {
                return .rejected("x-wh-signature is not base64")
            }
            let signature = _RSA.Signing.RSASignature(rawRepresentation: bytes)
            if key.isValidSignature(signature, for: body, padding: .insecurePKCS1v1_5) { return .rsa }
            return .rejected("x-wh-signature does not verify")
        }
        if ghlSignature == nil, whSignature == nil { return .rejected("the request is not signed") }
        return .rejected("no key is configured for the signature sent")
    }

    /// The 12 bytes a SubjectPublicKeyInfo puts before an Ed25519 key (OID 1.3.101.112).
    static let spkiPrefix = Data([0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00])

    /// PEM (SPKI), base64 of the 32 raw bytes or of the 44-byte SPKI, or 64 hex characters.
    static func ed25519Key(_ text: String) throws -> Curve25519.Signing.PublicKey {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var bytes: Data?
        if trimmed.hasPrefix("-----BEGIN") {
            // The base64 between the BEGIN and END lines, whatever whitespace a config file left.
            let parts = trimmed.components(separatedBy: "-----")
            let body = parts.count >= 5 ? parts[2] : ""
            bytes = Data(base64Encoded: body.filter { !$0.isWhitespace })
        } else if trimmed.count == 64, trimmed.allSatisfy(\.isHexDigit) {
            var data = Data()
            var index = trimmed.startIndex
            while index < trimmed.endIndex {
                let next = trimmed.index(index, offsetBy: 2)
                guard let byte = UInt8(trimmed[index..<next], radix: 16) else { break }
                data.append(byte)
                index = next
            }
            bytes = data
        } else {
            bytes = Data(base64Encoded: trimmed)
        }
        guard var raw = bytes else { throw WebhookError.badKey("the Ed25519 public key is neither PEM, base64 nor hex") }
        if raw.count == 44, raw.prefix(12) == spkiPrefix { raw = raw.suffix(32) }
        guard raw.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw WebhookError.badKey("the Ed25519 public key is not 32 bytes (or an SPKI holding them)")
        }
        return key
    }

    /// The SPKI PEM of an Ed25519 public key, as HighLevel shows keys and `liqsync sandbox` prints them.
    public static func pem(_ key: Curve25519.Signing.PublicKey) -> String {
        let spki = spkiPrefix + key.rawRepresentation
        return "-----BEGIN PUBLIC KEY-----\n\(spki.base64EncodedString())\n-----END PUBLIC KEY-----\n"
    }
}

/// A webhook cannot be received as configured.
public enum WebhookError: Error, LocalizedError, Equatable {
    case badKey(String)
    case noKeys
    case portInUse(Int)

    public var errorDescription: String? {
        switch self {
        case .badKey(let detail): "The webhook key cannot be used: \(detail); check 'webhooks:' in liqsync.yaml."
        case .noKeys:
            "No webhook public key is configured, so no webhook could be verified; set webhooks.ed25519_public_key (or rsa_public_key) in liqsync.yaml (docs/webhooks.md)."
        case .portInUse(let port): "Port \(port) is in use; choose another with --port."
        }
    }
}
