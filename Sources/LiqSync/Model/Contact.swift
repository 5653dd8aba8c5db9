import Foundation

/// A HighLevel contact as pulled: the fields liqsync works with, decoded tolerantly (every one
/// optional), and the whole record as received in `raw`, unknown fields included.
public struct Contact: Sendable, Equatable {
    public var id: String
    public var locationId: String?
    public var firstName: String?
    public var lastName: String?
    public var email: String?
    public var phone: String?
    public var companyName: String?
    public var source: String?
    public var tags: [String]
    public var dateAdded: Date?
    public var dateUpdated: Date?
    public var raw: JSON

    /// Decodes one record; nil when it has no id (then it cannot be mirrored).
    public init?(json: JSON) {
        guard let id = json["id"]?.text else { return nil }
        self.id = id
        locationId = json["locationId"]?.text
        firstName = json["firstName"]?.text
        lastName = json["lastName"]?.text
        email = json["email"]?.text
        phone = json["phone"]?.text
        companyName = json["companyName"]?.text ?? json["businessName"]?.text
        source = json["source"]?.text
        tags = json["tags"]?.array?.compactMap(\.text) ?? []
        dateAdded = Timestamp.parse(json["dateAdded"])
        dateUpdated = Timestamp.parse(json["dateUpdated"])
        raw = json
    }

    /// "First Last", or the `name` HighLevel sent, or nil.
    public var displayName: String? {
        let parts = [firstName, lastName].compactMap { $0 }
        if !parts.isEmpty { return parts.joined(separator: " ") }
        return raw["name"]?.text ?? raw["contactName"]?.text
    }

    /// The first-touch attribution HighLevel recorded (`attributionSource`): UTM source, medium
    /// (or HighLevel's own `medium`) and campaign (`utmCampaign`, else `campaign`).
    public var attribution: (source: String?, medium: String?, campaign: String?) {
        let value = raw["attributionSource"]
        func text(_ key: String) -> String? {
            guard let text = value?[key]?.text?.trimmed, !text.isEmpty else { return nil }
            return text
        }
        return (text("utmSource"), text("utmMedium") ?? text("medium"), text("utmCampaign") ?? text("campaign"))
    }
}
