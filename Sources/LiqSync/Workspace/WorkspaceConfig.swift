import Foundation
import Yams

/// The workspace's `liqsync.yaml`: where HighLevel is, which location, where the credential
/// comes from, which time zone. See `docs/configuration.md`.
public struct WorkspaceConfig: Sendable, Equatable, Codable {
    /// Where the credential comes from.
    public enum CredentialSource: String, Sendable, Codable {
        /// `credentials.json` in the workspace (mode 0600).
        case file
        /// The `LIQSYNC_TOKEN` environment variable.
        case env
    }

    public var baseURL: String
    public var locationId: String?
    public var credential: CredentialSource
    public var timezone: String
    /// How the plan settles fields both sides changed (`sync:`; see docs/plan-review-apply.md).
    public var sync: SyncPolicy
    /// The keys and limits of `liqsync listen` (`webhooks:`; see docs/webhooks.md).
    public var webhooks: WebhookSettings

    enum CodingKeys: String, CodingKey {
        case baseURL = "base_url"
        case locationId = "location_id"
        case credential
        case timezone
        case sync
        case webhooks
    }

    public init(
        baseURL: String = HighLevelClient.defaultBaseURL, locationId: String? = nil, credential: CredentialSource = .file,
        timezone: String = "UTC"
    ) {
        self.baseURL = baseURL
        self.locationId = locationId
        self.credential = credential
        self.timezone = timezone
        sync = SyncPolicy()
        webhooks = WebhookSettings()
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        baseURL = try container.decodeIfPresent(String.self, forKey: .baseURL) ?? HighLevelClient.defaultBaseURL
        let location = try container.decodeIfPresent(String.self, forKey: .locationId)
        locationId = (location?.isEmpty ?? true) ? nil : location
        credential = try container.decodeIfPresent(CredentialSource.self, forKey: .credential) ?? .file
        timezone = try container.decodeIfPresent(String.self, forKey: .timezone) ?? "UTC"
        sync = try container.decodeIfPresent(SyncPolicy.self, forKey: .sync) ?? SyncPolicy()
        webhooks = try container.decodeIfPresent(WebhookSettings.self, forKey: .webhooks) ?? WebhookSettings()
    }

    /// Parses the YAML text of a config file.
    public static func parse(_ text: String, path: String) throws -> WorkspaceConfig {
        do {
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return WorkspaceConfig() }
            return try YAMLDecoder().decode(WorkspaceConfig.self, from: text)
        } catch let error as DecodingError {
            throw WorkspaceError.unreadableConfig(path, Self.describe(error))
        } catch {
            throw WorkspaceError.unreadableConfig(path, "not valid YAML")
        }
    }

    /// The file's text, with a comment above every setting.
    public func rendered() -> String {
        """
        # liqsync workspace configuration (YAML).
        # Precedence: command-line flags, then environment variables (LIQSYNC_BASE_URL,
        # LIQSYNC_LOCATION_ID, LIQSYNC_TOKEN), then this file.

        # HighLevel API base URL. The real service is https://services.leadconnectorhq.com;
        # plain http:// is accepted only for this machine (the sandbox).
        base_url: \(Self.quoted(baseURL))

        # The HighLevel sub-account (location) this workspace keeps in step with LocaliQ.
        location_id: \(Self.quoted(locationId ?? ""))

        # Where the credential comes from: "file" (credentials.json in this folder, mode 0600,
        # written by 'liqsync auth token' or 'liqsync auth login') or "env" (LIQSYNC_TOKEN).
        credential: \(credential.rawValue)

        # Time zone for LocaliQ dates written without one, and for report day boundaries
        # (an IANA name such as America/Chicago).
        timezone: \(Self.quoted(timezone))

        # How 'liqsync plan' settles a field both sides changed differently since they last
        # agreed: manual (a conflict for a person), highlevel-wins, localiq-wins, or newest-wins
        # (the side changed last, when both carry a time). first_sync applies when there is no
        # agreed value yet; propagate_deletes: false only reports contacts gone from one side.
        sync:
          default: \(sync.defaultPolicy.rawValue)
          first_sync: \(sync.firstSync.rawValue)
          propagate_deletes: \(sync.propagateDeletes)
          fields:\(sync.fields.isEmpty ? " {}" : "")
        \(sync.fields.sorted { $0.key < $1.key }.map { "    \($0.key): \($0.value.rawValue)\n" }.joined())
        # 'liqsync listen' (HighLevel webhooks): the public keys HighLevel signs with — Ed25519
        # for x-ghl-signature (from the Marketplace app's settings; PEM, base64 or hex) and the
        # legacy RSA key for x-wh-signature (PEM) — inline or as files; requests larger than
        # max_body_bytes or timestamped outside replay_window_seconds are refused.
        webhooks:
          ed25519_public_key: \(Self.quoted(webhooks.ed25519PublicKey ?? ""))
          ed25519_public_key_file: \(Self.quoted(webhooks.ed25519PublicKeyFile ?? ""))
          rsa_public_key_file: \(Self.quoted(webhooks.rsaPublicKeyFile ?? ""))
          max_body_bytes: \(webhooks.maxBodyBytes)
          replay_window_seconds: \(webhooks.replayWindowSeconds)
        """
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .dataCorrupted(let context), .keyNotFound(_, let context), .valueNotFound(_, let context):
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            return key.isEmpty ? "not a mapping of settings" : "the value of \(key) is not valid"
        @unknown default:
            return "not valid"
        }
    }
}
