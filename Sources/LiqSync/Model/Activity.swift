import Foundation

/// A task on a contact (`TaskSchema`). Named so it cannot be confused with Swift's `Task`.
public struct ContactTask: Sendable, Equatable {
    public var id: String
    public var contactId: String
    public var title: String?
    public var body: String?
    public var assignedTo: String?
    public var dueDate: Date?
    public var completed: Bool
    /// When the task was created, when the payload says (webhooks do; the REST shape does not).
    public var dateAdded: Date?
    public var raw: JSON

    public init?(json: JSON, contactId: String) {
        guard let id = json["id"]?.text else { return nil }
        self.id = id
        self.contactId = json["contactId"]?.text ?? contactId
        title = json["title"]?.text
        body = json["body"]?.text
        assignedTo = json["assignedTo"]?.text
        dueDate = Timestamp.parse(json["dueDate"])
        completed = json["completed"]?.bool ?? false
        dateAdded = Timestamp.parse(json["dateAdded"])
        raw = json
    }
}

/// A note on a contact (`GetNoteSchema`).
public struct Note: Sendable, Equatable {
    public var id: String
    public var contactId: String
    public var title: String?
    public var body: String?
    public var userId: String?
    public var dateAdded: Date?
    public var raw: JSON

    public init?(json: JSON, contactId: String) {
        guard let id = json["id"]?.text else { return nil }
        self.id = id
        self.contactId = json["contactId"]?.text ?? contactId
        title = json["title"]?.text
        body = json["body"]?.text
        userId = json["userId"]?.text
        dateAdded = Timestamp.parse(json["dateAdded"])
        raw = json
    }
}

/// An appointment of a contact (`GetEventSchema`).
public struct Appointment: Sendable, Equatable {
    public var id: String
    public var contactId: String
    public var calendarId: String?
    public var title: String?
    public var notes: String?
    public var status: String?
    public var startTime: Date?
    public var endTime: Date?
    /// When the appointment was booked.
    public var dateAdded: Date?
    public var raw: JSON

    public init?(json: JSON, contactId: String) {
        guard let id = json["id"]?.text else { return nil }
        self.id = id
        self.contactId = json["contactId"]?.text ?? contactId
        calendarId = json["calendarId"]?.text
        title = json["title"]?.text
        notes = json["notes"]?.text
        status = json["appointmentStatus"]?.text ?? json["status"]?.text
        startTime = Timestamp.parse(json["startTime"])
        endTime = Timestamp.parse(json["endTime"])
        dateAdded = Timestamp.parse(json["dateAdded"])
        raw = json
    }
}
