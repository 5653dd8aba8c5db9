import Foundation
import Logging

/// Applies stored webhooks to the mirror, in the order they arrived, each once. Contact events
/// carry no `dateUpdated` and not every field, so their fields are merged into the mirrored
/// record rather than replacing it; the nightly pull reconciles anything a webhook missed.
public struct WebhookEventApplier: Sendable {
    public let database: MirrorDatabase
    /// Events of another location are stored but not applied.
    public let locationId: String?
    private let logger: Logger

    static let envelopeKeys: Set<String> = ["type", "webhookId", "timestamp", "appId", "versionId"]

    public init(database: MirrorDatabase, locationId: String?, logger: Logger = Logger(label: "liqsync.listen")) {
        self.database = database
        self.locationId = locationId
        self.logger = logger
    }

    /// Applies every pending event; returns how many were handled.
    @discardableResult
    public func applyPending() throws -> Int {
        var handled = 0
        while true {
            let batch = try database.pendingWebhookEvents()
            if batch.isEmpty { return handled }
            for event in batch {
                let (status, message) = apply(event)
                try database.finishWebhookEvent(event.webhookId, status: status, message: message)
                handled += 1
            }
        }
    }

    /// What happened: `applied`, `ignored` (not for this workspace or not a mirrored kind), or
    /// `failed` (the payload lacks what the event needs), with why.
    func apply(_ event: StoredWebhookEvent) -> (String, String?) {
        guard let payload = try? JSON.parse(event.body), case .object(var fields) = payload else { return ("failed", "the body is not a JSON object") }
        if let locationId, let eventLocation = fields["locationId"]?.text, eventLocation != locationId {
            return ("ignored", "for location \(eventLocation), not this workspace's")
        }
        let time = event.eventTime.flatMap(Timestamp.parse) ?? Timestamp.parse(event.receivedAt) ?? Date()
        for key in Self.envelopeKeys { fields.removeValue(forKey: key) }
        do {
            switch event.type {
            case "ContactCreate", "ContactUpdate", "ContactTagUpdate", "ContactDndUpdate":
                guard let id = fields["id"]?.text else { return ("failed", "the contact event has no id") }
                var merged = (try database.storedRaw(.contacts, id: id))?.object ?? [:]
                for (key, value) in fields { merged[key] = value }
                if merged["dateUpdated"] == nil || event.type != "ContactCreate" { merged["dateUpdated"] = .string(Timestamp.format(time)) }
                guard let contact = Contact(json: .object(merged)) else { return ("failed", "the contact event has no id") }
                try database.storeContacts([contact], at: time)
            case "ContactDelete":
                guard let id = fields["id"]?.text else { return ("failed", "the contact event has no id") }
                try database.markContactDeleted(id, at: time)
            case "TaskCreate", "TaskComplete":
                guard let id = fields["id"]?.text, let contactId = fields["contactId"]?.text else { return ("failed", "the task event has no id or contactId") }
                if event.type == "TaskComplete", try database.setTaskCompleted(id, completed: true, at: time) { break }
                var merged = (try database.storedRaw(.tasks, id: id))?.object ?? [:]
                for (key, value) in fields { merged[key] = value }
                if event.type == "TaskComplete" { merged["completed"] = .bool(true) }
                guard let task = ContactTask(json: .object(merged), contactId: contactId) else { return ("failed", "the task event has no id") }
                try database.storeTasks([task], at: time)
            case "NoteCreate", "NoteUpdate":
                guard let id = fields["id"]?.text, let contactId = fields["contactId"]?.text else { return ("failed", "the note event has no id or contactId") }
                var merged = (try database.storedRaw(.notes, id: id))?.object ?? [:]
                for (key, value) in fields { merged[key] = value }
                guard let note = Note(json: .object(merged), contactId: contactId) else { return ("failed", "the note event has no id") }
                try database.storeNotes([note], at: time)
            case "AppointmentCreate", "AppointmentUpdate":
                guard case .object(let appointment)? = fields["appointment"], let id = appointment["id"]?.text,
                    let contactId = appointment["contactId"]?.text
                else { return ("failed", "the appointment event has no appointment id or contactId") }
                var merged = (try database.storedRaw(.appointments, id: id))?.object ?? [:]
                for (key, value) in appointment { merged[key] = value }
                guard let record = Appointment(json: .object(merged), contactId: contactId) else { return ("failed", "the appointment event has no id") }
                try database.storeAppointments([record], at: time)
            case "TaskDelete", "NoteDelete", "AppointmentDelete":
                let kind: MirroredRecord = event.type == "TaskDelete" ? .task : event.type == "NoteDelete" ? .note : .appointment
                let id = kind == .appointment ? fields["appointment"]?["id"]?.text ?? fields["id"]?.text : fields["id"]?.text
                guard let id else { return ("failed", "the delete event has no id") }
                try database.deleteRecord(kind, id: id)
            default:
                return ("ignored", "\(event.type) events are not mirrored")
            }
        } catch {
            logger.error("webhook \(event.webhookId) (\(event.type)) could not be applied: \(error.localizedDescription)")
            return ("failed", error.localizedDescription)
        }
        return ("applied", nil)
    }
}
