import Foundation

/// Who a bearer token speaks for, and what it may do.
public struct Principal: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case privateIntegration = "private-integration"
        case oauth
    }

    public static let readScope = "contacts.readonly"
    public static let writeScope = "contacts.write"

    public var kind: Kind
    /// The rate-limit budget this token draws on. OAuth tokens of one grant share it across
    /// refreshes, as HighLevel counts per app and location, not per token string.
    public var budgetKey: String
    public var locationId: String
    public var scopes: Set<String>
    public var expiresAt: Date?
}
