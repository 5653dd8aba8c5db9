import Foundation

/// Changes made "as if in HighLevel's own UI": they bypass the API's validation, scopes and rate
/// limits, and are what tests use to move the remote side under the client.
extension SandboxStore {
    /// Applies `change` to a contact and moves its `dateUpdated` forward, as an edit in the UI would.
    @discardableResult
    public func edit(contact id: String, _ change: @Sendable (inout SandboxContact) -> Void) throws(SandboxAPIError) -> SandboxContact {
        var contact = try self.contact(id)
        change(&contact)
        contact.id = id
        contact.dateUpdated = max(now(), contact.dateUpdated.addingTimeInterval(0.001))
        store(contact)
        return contact
    }

    /// Edits named fields from a JSON object (`firstName`, `email`, `tags`, …) — the admin route's form.
    @discardableResult
    public func edit(contact id: String, fields: [String: JSONValue]) throws(SandboxAPIError) -> SandboxContact {
        let editable: Set<String> = [
            "firstName", "lastName", "email", "phone", "companyName", "source", "address1", "city", "state",
            "postalCode", "country", "website", "assignedTo", "dnd", "tags",
        ]
        let problems = fields.keys.filter { !editable.contains($0) }
        if !problems.isEmpty { throw .unprocessable(problems.sorted().map { "field \($0) cannot be edited" }) }
        return try edit(contact: id) { contact in
            for (key, value) in fields {
                let text = value.stringValue
                switch key {
                case "firstName": contact.firstName = text
                case "lastName": contact.lastName = text
                case "email": contact.email = text
                case "phone": contact.phone = text.map(ContactNormalizer.phone)
                case "companyName": contact.companyName = text
                case "source": contact.source = text
                case "address1": contact.address1 = text
                case "city": contact.city = text
                case "state": contact.state = text
                case "postalCode": contact.postalCode = text
                case "country": contact.country = text
                case "website": contact.website = text
                case "assignedTo": contact.assignedTo = text
                case "dnd": contact.dnd = value.boolValue ?? contact.dnd
                case "tags": contact.tags = ContactNormalizer.tags(value.arrayValue?.compactMap(\.stringValue) ?? [])
                default: break
                }
            }
        }
    }

    /// Adds a contact as if created in HighLevel; returns it with its new id.
    @discardableResult
    public func insert(firstName: String?, lastName: String?, email: String?, phone: String?, tags: [String] = []) -> SandboxContact {
        let time = now()
        let contact = SandboxContact(
            id: newIdentifier(), locationId: locationId, firstName: firstName, lastName: lastName, email: email,
            phone: phone.map(ContactNormalizer.phone), dnd: false, type: "lead", source: "crm ui",
            tags: ContactNormalizer.tags(tags), dateAdded: time, dateUpdated: time, customFields: [], followers: [],
            deleted: false)
        store(contact)
        return contact
    }

    /// Deletes a contact as if deleted in HighLevel.
    public func delete(contact id: String) throws(SandboxAPIError) {
        _ = try contact(id)
        remove(id)
    }

    /// Adds a note as if written in HighLevel.
    @discardableResult
    public func insertNote(contactId: String, body: String) throws(SandboxAPIError) -> SandboxNote {
        _ = try contact(contactId)
        let note = SandboxNote(
            id: newIdentifier(), contactId: contactId, body: body, userId: users.first, title: nil, color: nil,
            pinned: false, dateAdded: now())
        notes[contactId, default: []].append(note)
        emitNote("NoteCreate", note)
        return note
    }
}
