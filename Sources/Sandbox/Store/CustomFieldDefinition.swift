/// A custom field defined on the location, as `GET /locations/:id/customFields` lists them.
public struct CustomFieldDefinition: Sendable, Codable, Equatable {
    public var id: String
    public var key: String
    public var name: String
    public var dataType: String
}
