import Foundation

/// The JSON shapes HighLevel returns for a contact. The spec has four, one per endpoint family,
/// and they differ: the sandbox answers each endpoint with its own.
extension SandboxContact {
    /// `GetContectByIdSchema`: get, update and upsert.
    func fullRepresentation() -> JSONValue {
        var object = commonMembers()
        object["name"] = name.map(JSONValue.string)
        object["emailLowerCase"] = email.map { .string($0.lowercased()) }
        object["timezone"] = timezone.map(JSONValue.string)
        object["dndSettings"] = dndSettingsValue()
        object["firstNameLowerCase"] = firstName.map { .string($0.lowercased()) }
        object["lastNameLowerCase"] = lastName.map { .string($0.lowercased()) }
        object["fullNameLowerCase"] = name.map { .string($0.lowercased()) }
        object["attributionSource"] = attributionSource.map(Self.attributionValue)
        object["lastAttributionSource"] = lastAttributionSource.map(Self.attributionValue)
        return .object(object.compactMapValues { $0 })
    }

    /// `CreateContactSchema`: the 201 body of `POST /contacts/`.
    func createdRepresentation() -> JSONValue {
        var object = commonMembers()
        object["deleted"] = .bool(false)
        object["firstNameLowerCase"] = firstName.map { .string($0.lowercased()) }
        object["lastNameLowerCase"] = lastName.map { .string($0.lowercased()) }
        object["fullNameLowerCase"] = name.map { .string($0.lowercased()) }
        object["emailLowerCase"] = email.map { .string($0.lowercased()) }
        object["bounceEmail"] = .bool(false)
        object["unsubscribeEmail"] = .bool(false)
        object["dndSettings"] = dndSettingsValue()
        object["offers"] = .array([])
        object["products"] = .array([])
        return .object(object.compactMapValues { $0 })
    }

    /// The item of `POST /contacts/search` (`SearchContactSuccessResponseDto.contacts[]`), with
    /// the cursor HighLevel puts on every record.
    func searchRepresentation(searchAfter: [JSONValue]) -> JSONValue {
        var object = commonMembers()
        object["firstNameLowerCase"] = firstName.map { .string($0.lowercased()) }
        object["lastNameLowerCase"] = lastName.map { .string($0.lowercased()) }
        object["dndSettings"] = dndSettingsValue()
        object["followers"] = .array(followers.map(JSONValue.string))
        object["additionalEmails"] = .array([])
        object["additionalPhones"] = .array([])
        object["validEmail"] = email.map { _ in .bool(true) }
        object["opportunities"] = .array([])
        object["searchAfter"] = .array(searchAfter)
        return .object(object.compactMapValues { $0 })
    }

    /// `ContactsSearchSchema`: items of the deprecated `GET /contacts/` and of
    /// `GET /contacts/business/:id`. The spec lists only a few members; the service sends the
    /// common ones too, so they are kept.
    func listRepresentation() -> JSONValue {
        var object = commonMembers()
        object["timezone"] = timezone.map(JSONValue.string)
        object["followers"] = .array(followers.map(JSONValue.string))
        object["attributions"] = .array([attributionSource, lastAttributionSource].compactMap { $0 }.map(Self.attributionValue))
        return .object(object.compactMapValues { $0 })
    }

    private func commonMembers() -> [String: JSONValue?] {
        [
            "id": .string(id),
            "locationId": .string(locationId),
            "firstName": firstName.map(JSONValue.string),
            "lastName": lastName.map(JSONValue.string),
            "email": email.map(JSONValue.string),
            "phone": phone.map(JSONValue.string),
            "companyName": companyName.map(JSONValue.string),
            "dnd": .bool(dnd),
            "type": .string(type),
            "source": source.map(JSONValue.string),
            "assignedTo": assignedTo.map(JSONValue.string),
            "address1": address1.map(JSONValue.string),
            "city": city.map(JSONValue.string),
            "state": state.map(JSONValue.string),
            "country": country.map(JSONValue.string),
            "postalCode": postalCode.map(JSONValue.string),
            "website": website.map(JSONValue.string),
            "tags": .array(tags.map(JSONValue.string)),
            "dateOfBirth": dateOfBirth.map(JSONValue.string),
            "dateAdded": .string(SandboxTime.iso8601(dateAdded)),
            "dateUpdated": .string(SandboxTime.iso8601(dateUpdated)),
            "customFields": .array(customFields.map { .object(["id": .string($0.id), "value": $0.value]) }),
            "businessId": businessId.map(JSONValue.string),
        ]
    }

    private func dndSettingsValue() -> JSONValue? {
        guard let dndSettings else { return nil }
        return .object(
            dndSettings.mapValues { setting in
                .object(
                    [
                        "status": .string(setting.status),
                        "message": setting.message.map(JSONValue.string),
                        "code": setting.code.map(JSONValue.string),
                    ].compactMapValues { $0 })
            })
    }

    private static func attributionValue(_ source: AttributionSource) -> JSONValue {
        .object(
            [
                "url": .string(source.url),
                "campaign": source.campaign.map(JSONValue.string),
                "utmSource": source.utmSource.map(JSONValue.string),
                "utmMedium": source.utmMedium.map(JSONValue.string),
                "utmContent": source.utmContent.map(JSONValue.string),
                "referrer": source.referrer.map(JSONValue.string),
                "medium": source.medium.map(JSONValue.string),
                "gclid": source.gclid.map(JSONValue.string),
                "fbclid": source.fbclid.map(JSONValue.string),
            ].compactMapValues { $0 })
    }
}

extension SandboxTask {
    /// `TaskSchema`.
    func representation() -> JSONValue {
        .object(
            [
                "id": .string(id),
                "title": .string(title),
                "body": body.map(JSONValue.string),
                "assignedTo": assignedTo.map(JSONValue.string),
                "dueDate": .string(dueDate),
                "completed": .bool(completed),
                "contactId": .string(contactId),
            ].compactMapValues { $0 })
    }
}

extension SandboxNote {
    /// `GetNoteSchema`.
    func representation() -> JSONValue {
        .object(
            [
                "id": .string(id),
                "body": .string(body),
                "userId": userId.map(JSONValue.string),
                "dateAdded": .string(SandboxTime.iso8601(dateAdded)),
                "contactId": .string(contactId),
                "title": title.map(JSONValue.string),
                "color": color.map(JSONValue.string),
                "pinned": .bool(pinned),
            ].compactMapValues { $0 })
    }
}

extension SandboxAppointment {
    /// `GetEventSchema`.
    func representation(locationId: String) -> JSONValue {
        .object(
            [
                "id": .string(id),
                "calendarId": .string(calendarId),
                "status": .string(status),
                "title": .string(title),
                "assignedUserId": assignedUserId.map(JSONValue.string),
                "notes": notes.map(JSONValue.string),
                "startTime": .string(startTime),
                "endTime": .string(endTime),
                "address": address.map(JSONValue.string),
                "locationId": .string(locationId),
                "contactId": .string(contactId),
                "appointmentStatus": .string(status),
                "users": .array(assignedUserId.map { [.string($0)] } ?? []),
                "dateAdded": .string(dateAdded),
                "dateUpdated": .string(dateUpdated),
                "assignedResources": .array([]),
            ].compactMapValues { $0 })
    }
}
