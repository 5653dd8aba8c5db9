import Foundation

/// The sandbox's data: one HighLevel location's contacts with their tasks, notes and
/// appointments, in memory. Every rule the API enforces on data (duplicates, validation, what a
/// write changes) lives here; the routes only translate HTTP.
public actor SandboxStore {
    public let locationId: String
    public var duplicatePolicy: DuplicatePolicy
    public private(set) var customFieldDefinitions: [CustomFieldDefinition]
    public private(set) var users: [String]

    var contacts: [String: SandboxContact] = [:]
    var tasks: [String: [SandboxTask]] = [:]
    var notes: [String: [SandboxNote]] = [:]
    var appointments: [String: [SandboxAppointment]] = [:]
    /// Bumped on every contact change; listing caches are valid for one version.
    var version = 0
    var listingCache: [String: ListingOrder] = [:]
    var random: SeededRandom
    let now: @Sendable () -> Date
    /// Sends a webhook for each change made through the API, when a target is configured.
    var webhooks: SandboxWebhookEmitter?

    func setWebhooks(_ emitter: SandboxWebhookEmitter?) { webhooks = emitter }

    init(data: SandboxData, duplicatePolicy: DuplicatePolicy, idSeed: UInt64, now: @escaping @Sendable () -> Date) {
        self.locationId = data.locationId
        self.duplicatePolicy = duplicatePolicy
        self.customFieldDefinitions = data.customFields
        self.users = data.users
        self.random = SeededRandom(seed: idSeed)
        self.now = now
        for contact in data.contacts { contacts[contact.id] = contact }
        for task in data.tasks { tasks[task.contactId, default: []].append(task) }
        for note in data.notes { notes[note.contactId, default: []].append(note) }
        for appointment in data.appointments { appointments[appointment.contactId, default: []].append(appointment) }
    }

    /// How many contacts the location holds.
    public var contactCount: Int { contacts.count }

    /// A contact by id, or 404 as HighLevel answers for a deleted or unknown one.
    public func contact(_ id: String) throws(SandboxAPIError) -> SandboxContact {
        guard let contact = contacts[id] else { throw .contactNotFound }
        return contact
    }

    // MARK: Writes through the API

    static let contactFields: [String: RequestBody.Kind] = [
        "firstName": .nullableString, "lastName": .nullableString, "name": .nullableString,
        "email": .nullableString, "phone": .nullableString, "address1": .nullableString,
        "city": .nullableString, "state": .nullableString, "postalCode": .string,
        "website": .nullableString, "timezone": .nullableString, "dnd": .boolean,
        "dndSettings": .object, "inboundDndSettings": .object, "tags": .stringArray,
        "customFields": .array, "source": .string, "dateOfBirth": .any, "country": .string,
        "assignedTo": .string,
    ]
    static let createFields = contactFields.merging(
        ["locationId": .string, "gender": .string, "companyName": .nullableString]) { a, _ in a }
    static let upsertFields = createFields.merging(["createNewIfDuplicateAllowed": .boolean]) { a, _ in a }

    /// `POST /contacts/`: refuses a duplicate unless the location allows them.
    func createContact(_ data: Data) throws(SandboxAPIError) -> SandboxContact {
        let body = try RequestBody(data: data, allowed: Self.createFields, required: ["locationId"])
        try body.validate()
        try checkLocation(body)
        var contact = newContact()
        try apply(body, to: &contact)
        if !duplicatePolicy.allowDuplicates, let (existing, field) = findDuplicate(of: contact) {
            throw SandboxAPIError(
                status: 400, message: "This location does not allow duplicated contacts.",
                meta: .object([
                    "contactName": .string(existing.name ?? ""), "contactId": .string(existing.id),
                    "matchingField": .string(field.rawValue),
                ]))
        }
        store(contact)
        return contact
    }

    /// `PUT /contacts/:id`: `tags` replaces every tag, as the spec warns.
    func updateContact(_ id: String, _ data: Data) throws(SandboxAPIError) -> SandboxContact {
        var contact = try self.contact(id)
        let body = try RequestBody(data: data, allowed: Self.contactFields)
        try body.validate()
        try apply(body, to: &contact)
        contact.dateUpdated = now()
        store(contact)
        return contact
    }

    /// `POST /contacts/upsert`: matches by the location's duplicate sequence, updates the
    /// contact the first field finds, otherwise creates. Returns whether it created.
    func upsertContact(_ data: Data) throws(SandboxAPIError) -> (isNew: Bool, contact: SandboxContact) {
        let body = try RequestBody(data: data, allowed: Self.upsertFields, required: ["locationId"])
        try body.validate()
        try checkLocation(body)
        var candidate = newContact()
        try apply(body, to: &candidate)
        let skipLookup = duplicatePolicy.allowDuplicates && body.bool("createNewIfDuplicateAllowed") == true
        if !skipLookup, let (existing, _) = findDuplicate(of: candidate) {
            var contact = existing
            try apply(body, to: &contact)
            contact.dateUpdated = now()
            store(contact)
            return (false, contact)
        }
        store(candidate)
        return (true, candidate)
    }

    /// `DELETE /contacts/:id`: the contact and its tasks, notes and appointments go.
    func deleteContact(_ id: String) throws(SandboxAPIError) {
        _ = try contact(id)
        remove(id)
    }

    /// `GET /contacts/search/duplicate`: the contact the location's rules would treat as the same.
    func duplicate(email: String?, phone: String?) -> SandboxContact? {
        // A probe, not a contact: an empty id, so looking up spends no id from the seeded sequence.
        var probe = newContact(id: "")
        probe.email = email
        probe.phone = phone.map(ContactNormalizer.phone)
        return findDuplicate(of: probe)?.0
    }

    // MARK: Helpers shared by the writes

    func store(_ contact: SandboxContact) {
        let previous = contacts[contact.id]
        contacts[contact.id] = contact
        if webhooks != nil {
            let type = previous == nil ? "ContactCreate" : previous?.tags != contact.tags ? "ContactTagUpdate" : "ContactUpdate"
            emitContact(type, contact)
        }
        version &+= 1
        listingCache.removeAll(keepingCapacity: true)
    }

    func remove(_ id: String) {
        if let contact = contacts[id] { emitContact("ContactDelete", contact) }
        contacts[id] = nil
        tasks[id] = nil
        notes[id] = nil
        appointments[id] = nil
        version &+= 1
        listingCache.removeAll(keepingCapacity: true)
    }

    func newIdentifier() -> String { random.identifier() }

    private func newContact(id: String? = nil) -> SandboxContact {
        let time = now()
        return SandboxContact(
            id: id ?? newIdentifier(), locationId: locationId, dnd: false, type: "lead", tags: [],
            dateAdded: time, dateUpdated: time, customFields: [], followers: [], deleted: false)
    }

    private func checkLocation(_ body: RequestBody) throws(SandboxAPIError) {
        if body.string("locationId") != locationId { throw .locationRefused }
    }

    private func findDuplicate(of probe: SandboxContact) -> (SandboxContact, DuplicatePolicy.Field)? {
        for field in duplicatePolicy.sequence {
            switch field {
            case .email:
                guard let email = probe.email?.lowercased(), !email.isEmpty else { continue }
                if let hit = contacts.values.filter({ $0.email?.lowercased() == email && $0.id != probe.id })
                    .min(by: { $0.dateAdded < $1.dateAdded })
                {
                    return (hit, .email)
                }
            case .phone:
                guard let phone = probe.phone, !phone.isEmpty else { continue }
                if let hit = contacts.values.filter({ $0.phone == phone && $0.id != probe.id })
                    .min(by: { $0.dateAdded < $1.dateAdded })
                {
                    return (hit, .phone)
                }
            }
        }
        return nil
    }

    /// Copies the members of a create/update/upsert body onto a contact, normalising as HighLevel does.
    private func apply(_ body: RequestBody, to contact: inout SandboxContact) throws(SandboxAPIError) {
        func text(_ key: String) -> String?? {
            guard body.has(key) else { return .none }
            return .some(body.string(key).flatMap { $0.isEmpty ? nil : $0 })
        }
        if let value = text("firstName") { contact.firstName = value }
        if let value = text("lastName") { contact.lastName = value }
        if body.has("name"), !body.has("firstName"), !body.has("lastName"), let name = body.string("name") {
            let parts = name.split(separator: " ", maxSplits: 1).map(String.init)
            contact.firstName = parts.first
            contact.lastName = parts.count > 1 ? parts[1] : nil
        }
        if let value = text("email") {
            if let email = value?.trimmingCharacters(in: .whitespaces), !ContactNormalizer.isValidEmail(email) {
                throw .unprocessable(["email must be an email"])
            }
            contact.email = value?.trimmingCharacters(in: .whitespaces)
        }
        if let value = text("phone") { contact.phone = value.map(ContactNormalizer.phone) }
        if let value = text("companyName") { contact.companyName = value }
        if let value = text("address1") { contact.address1 = value }
        if let value = text("city") { contact.city = value }
        if let value = text("state") { contact.state = value }
        if let value = text("postalCode") { contact.postalCode = value }
        if let value = text("website") { contact.website = value }
        if let value = text("timezone") { contact.timezone = value }
        if let value = text("source") { contact.source = value }
        if let value = text("country") { contact.country = value }
        if let value = text("assignedTo") { contact.assignedTo = value }
        if let value = body.members["dateOfBirth"] { contact.dateOfBirth = value.stringValue }
        if let dnd = body.bool("dnd") { contact.dnd = dnd }
        if let settings = body.members["dndSettings"]?.objectValue {
            var merged = contact.dndSettings ?? [:]
            for (channel, value) in settings {
                guard let status = value.objectValue?["status"]?.stringValue else { continue }
                merged[channel] = DndSetting(
                    status: status, message: value.objectValue?["message"]?.stringValue,
                    code: value.objectValue?["code"]?.stringValue)
            }
            contact.dndSettings = merged
        }
        if let tags = body.strings("tags") { contact.tags = ContactNormalizer.tags(tags) }
        if let items = body.members["customFields"]?.arrayValue { applyCustomFields(items, to: &contact) }
    }

    /// Write items are `{ id | key, field_value }`. An item without `field_value` (for example one
    /// sent with the read side's `value`) changes nothing, as on the real service.
    private func applyCustomFields(_ items: [JSONValue], to contact: inout SandboxContact) {
        for item in items {
            guard let object = item.objectValue, let value = object["field_value"] else { continue }
            let id =
                object["id"]?.stringValue
                ?? object["key"]?.stringValue.flatMap { key in
                    customFieldDefinitions.first { $0.key == key || $0.key == "contact.\(key)" }?.id
                }
            guard let id, customFieldDefinitions.contains(where: { $0.id == id }) else { continue }
            if let index = contact.customFields.firstIndex(where: { $0.id == id }) {
                contact.customFields[index].value = value
            } else {
                contact.customFields.append(CustomFieldValue(id: id, value: value))
            }
        }
    }
}

// MARK: Webhooks

extension SandboxStore {
    /// The members of HighLevel's contact webhook payloads (`docs/webhook events/ContactCreate.md`).
    static let contactWebhookMembers: Set<String> = [
        "id", "locationId", "address1", "city", "state", "companyName", "country", "source", "dateAdded", "dateOfBirth", "dnd", "email",
        "name", "firstName", "lastName", "phone", "postalCode", "tags", "website", "attachments", "assignedTo", "customFields",
    ]

    func emitContact(_ type: String, _ contact: SandboxContact) {
        guard let webhooks, case .object(let full) = contact.fullRepresentation() else { return }
        var payload = full.filter { Self.contactWebhookMembers.contains($0.key) }
        payload["type"] = .string(type)
        payload["locationId"] = .string(locationId)
        webhooks.emit(payload, at: now())
    }

    func emitTask(_ type: String, _ task: SandboxTask) {
        guard let webhooks else { return }
        webhooks.emit(
            [
                "type": .string(type), "locationId": .string(locationId), "id": .string(task.id), "contactId": .string(task.contactId),
                "title": .string(task.title), "body": task.body.map(JSONValue.string) ?? .null, "assignedTo": task.assignedTo.map(JSONValue.string) ?? .null,
                "dueDate": .string(task.dueDate), "dateAdded": .string(SandboxTime.iso8601(task.dateAdded)),
            ].filter { $0.value != .null }, at: now())
    }

    func emitNote(_ type: String, _ note: SandboxNote) {
        guard let webhooks else { return }
        webhooks.emit(
            [
                "type": .string(type), "locationId": .string(locationId), "id": .string(note.id), "contactId": .string(note.contactId),
                "body": .string(note.body), "dateAdded": .string(SandboxTime.iso8601(note.dateAdded)),
            ], at: now())
    }
}
