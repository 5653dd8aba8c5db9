import Foundation

/// `webhooks:` in liqsync.yaml: the public keys HighLevel signs webhooks with, and the limits
/// `liqsync listen` enforces. See docs/webhooks.md.
public struct WebhookSettings: Sendable, Equatable, Codable {
    /// HighLevel's Ed25519 public key (`x-ghl-signature`): PEM, base64 of the 32 raw bytes or of
    /// the SPKI, or 64 hex characters. From the Marketplace app's settings.
    public var ed25519PublicKey: String?
    /// A file holding it instead (relative paths are relative to the workspace).
    public var ed25519PublicKeyFile: String?
    /// HighLevel's RSA public key (legacy `x-wh-signature`), PEM, or a file holding it.
    public var rsaPublicKey: String?
    public var rsaPublicKeyFile: String?
    /// Bodies larger than this are refused with 413 before they are read whole.
    public var maxBodyBytes: Int
    /// Events whose `timestamp` is further than this from now are refused as replays.
    public var replayWindowSeconds: Int

    enum CodingKeys: String, CodingKey {
        case ed25519PublicKey = "ed25519_public_key"
        case ed25519PublicKeyFile = "ed25519_public_key_file"
        case rsaPublicKey = "rsa_public_key"
        case rsaPublicKeyFile = "rsa_public_key_file"
        case maxBodyBytes = "max_body_bytes"
        case replayWindowSeconds = "replay_window_seconds"
    }

    public init(
        ed25519PublicKey: String? = nil, ed25519PublicKeyFile: String? = nil, rsaPublicKey: String? = nil, rsaPublicKeyFile: String? = nil,
        maxBodyBytes: Int = 1 << 20, replayWindowSeconds: Int = 300
    ) {
        self.ed25519PublicKey = ed25519PublicKey
        self.ed25519PublicKeyFile = ed25519PublicKeyFile
        self.rsaPublicKey = rsaPublicKey
        self.rsaPublicKeyFile = rsaPublicKeyFile
        self.maxBodyBytes = maxBodyBytes
        self.replayWindowSeconds = replayWindowSeconds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ed25519PublicKey = try container.decodeIfPresent(String.self, forKey: .ed25519PublicKey)
        ed25519PublicKeyFile = try container.decodeIfPresent(String.self, forKey: .ed25519PublicKeyFile)
        rsaPublicKey = try container.decodeIfPresent(String.self, forKey: .rsaPublicKey)
        rsaPublicKeyFile = try container.decodeIfPresent(String.self, forKey: .rsaPublicKeyFile)
        maxBodyBytes = try container.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? 1 << 20
        replayWindowSeconds = try container.decodeIfPresent(Int.self, forKey: .replayWindowSeconds) ?? 300
    }

    /// The keys, read from the settings or their files.
    public func verifier(relativeTo root: URL) throws -> WebhookVerifier {
        func read(_ inline: String?, _ file: String?) throws -> String? {
            if let inline, !inline.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return inline }
            guard let file, !file.isEmpty else { return nil }
            let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : root.appendingPathComponent(file)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw WebhookError.badKey("the key file \(url.path) cannot be read") }
            return text
        }
        return try WebhookVerifier(ed25519: read(ed25519PublicKey, ed25519PublicKeyFile), rsa: read(rsaPublicKey, rsaPublicKeyFile))
    }
}
