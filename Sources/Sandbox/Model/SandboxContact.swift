import Foundation

/// A contact as the sandbox stores it: every field HighLevel's `GetContectByIdSchema` lists, plus
/// the bookkeeping the service keeps out of sight (deletion, additional emails).
public struct SandboxContact: Sendable, Codable, Equatable {
    public var id: String
    public var locationId: String
    public var firstName: String?
    public var lastName: String?
    public var email: String?
    public var phone: String?
    public var companyName: String?
    public var timezone: String?
    public var dnd: Bool
    public var dndSettings: [String: DndSetting]?
    public var type: String
    public var source: String?
    public var assignedTo: String?
    public var address1: String?
    public var city: String?
    public var state: String?
    public var country: String?
    public var postalCode: String?
    public var website: String?
    public var tags: [String]
    public var dateOfBirth: String?
    public var dateAdded: Date
    public var dateUpdated: Date
    public var customFields: [CustomFieldValue]
    public var businessId: String?
    public var attributionSource: AttributionSource?
    public var lastAttributionSource: AttributionSource?
    public var followers: [String]
    public var deleted: Bool

    /// The display name HighLevel derives from first and last name.
    public var name: String? {
        let parts = [firstName, lastName].compactMap { $0 }.filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }
}

/// One DND channel setting (`DndSettingSchema`).
public struct DndSetting: Sendable, Codable, Equatable {
    public var status: String
    public var message: String?
    public var code: String?
}

/// A custom field value on the read side: `{ id, value }`.
public struct CustomFieldValue: Sendable, Codable, Equatable {
    public var id: String
    public var value: JSONValue
}

/// Where a contact came from (`AttributionSource`); `url` is the only required member.
public struct AttributionSource: Sendable, Codable, Equatable {
    public var url: String
    public var campaign: String?
    public var utmSource: String?
    public var utmMedium: String?
    public var utmContent: String?
    public var referrer: String?
    public var medium: String?
    public var gclid: String?
    public var fbclid: String?
}
