/// The location's "Allow Duplicate Contact" setting, which create and upsert obey.
public struct DuplicatePolicy: Sendable, Codable, Equatable {
    /// A field a duplicate is looked up by.
    public enum Field: String, Sendable, Codable, CaseIterable {
        case email, phone
    }

    /// When true, create never refuses a duplicate and upsert with
    /// `createNewIfDuplicateAllowed` creates without looking.
    public var allowDuplicates: Bool
    /// The fields checked, first to last; upsert updates the contact matched by the first field
    /// that finds one and ignores the rest.
    public var sequence: [Field]

    public init(allowDuplicates: Bool = false, sequence: [Field] = [.email, .phone]) {
        self.allowDuplicates = allowDuplicates
        self.sequence = sequence
    }
}
