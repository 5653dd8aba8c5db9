import Foundation

/// A task on a contact, as `TaskSchema` describes it. HighLevel's REST shape carries no
/// creation or update time; `dateAdded` is kept for the webhook payloads only.
public struct SandboxTask: Sendable, Codable, Equatable {
    public var id: String
    public var contactId: String
    public var title: String
    public var body: String?
    public var assignedTo: String?
    public var dueDate: String
    public var completed: Bool
    public var dateAdded: Date
}

/// A note on a contact, as `GetNoteSchema` describes it.
public struct SandboxNote: Sendable, Codable, Equatable {
    public var id: String
    public var contactId: String
    public var body: String
    public var userId: String?
    public var title: String?
    public var color: String?
    public var pinned: Bool
    public var dateAdded: Date
}

/// An appointment of a contact, as `GetEventSchema` describes it. Times are kept as the
/// spec's example shows them: `yyyy-MM-dd HH:mm:ss`, without a zone.
public struct SandboxAppointment: Sendable, Codable, Equatable {
    public var id: String
    public var contactId: String
    public var calendarId: String
    public var title: String
    public var status: String
    public var assignedUserId: String?
    public var notes: String?
    public var address: String?
    public var startTime: String
    public var endTime: String
    public var dateAdded: String
    public var dateUpdated: String
}
