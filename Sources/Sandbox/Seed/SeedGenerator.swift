import Foundation

/// Realistic, deterministic sandbox data: the same seed and size give the same location, the
/// same contacts, tasks, notes and appointments, byte for byte. Emails are `@example.com` and
/// phones are `555-01xx` numbers, so nothing resembles a real person.
public struct SeedGenerator: Sendable {
    public var seed: UInt64
    public var contactCount: Int
    /// The newest `dateAdded`; contacts spread over the 400 days before it.
    public var referenceDate: Date

    public static let defaultReferenceDate = Date(timeIntervalSince1970: 1_793_491_200)  // 2026-11-01T00:00:00Z

    public init(seed: UInt64 = 1, contactCount: Int = 200, referenceDate: Date = Self.defaultReferenceDate) {
        self.seed = seed
        self.contactCount = contactCount
        self.referenceDate = referenceDate
    }

    static let firstNames = [
        "Alex", "Maria", "James", "Priya", "Chen", "Fatima", "Liam", "Sofia", "Noah", "Aisha", "Mateo", "Emma",
        "Omar", "Hannah", "Lucas", "Zoe", "Ethan", "Mei", "Diego", "Grace", "Ravi", "Chloe", "Samuel", "Ana",
        "Jonas", "Leila", "Marcus", "Ingrid", "Kofi", "Yuki", "Renée", "José",
    ]
    static let lastNames = [
        "Smith", "Garcia", "Johnson", "Patel", "Wang", "Khan", "Brown", "Rossi", "Miller", "Okafor", "Lopez",
        "Nguyen", "Davis", "Müller", "Wilson", "Kim", "Martin", "Silva", "Anderson", "O'Brien", "Thomas",
        "Haddad", "Moore", "Jackson", "Lee", "Walker", "Young", "Hall", "Allen", "Wright", "Scott", "Núñez",
    ]
    static let companies = [
        "Bright Smile Dental", "Oak Street Plumbing", "Summit Roofing", "Harbor Auto Repair", "Green Leaf Landscaping",
        "Peak Fitness", "Cornerstone Law", "Bluebird Bakery", "Metro HVAC", "Sunrise Realty", "Northside Vet Clinic",
        "Lakeview Chiropractic",
    ]
    static let places: [(city: String, state: String, postal: String)] = [
        ("Austin", "TX", "78701"), ("Denver", "CO", "80202"), ("Portland", "OR", "97201"), ("Tampa", "FL", "33602"),
        ("Columbus", "OH", "43215"), ("Raleigh", "NC", "27601"), ("Phoenix", "AZ", "85004"), ("Boise", "ID", "83702"),
    ]
    static let sources = ["LocaliQ", "Google Ads", "Facebook Ads", "Website Form", "Referral", "public api", "Yelp"]
    static let tagPool = ["lead", "customer", "vip", "newsletter", "localiq", "webinar", "follow-up", "cold", "hot"]
    static let campaigns: [(source: String, medium: String, campaign: String)] = [
        ("google", "cpc", "spring-promo"), ("facebook", "paid-social", "retargeting"), ("localiq", "display", "brand"),
        ("newsletter", "email", "monthly"), ("bing", "cpc", "search-core"),
    ]
    static let noteBodies = [
        "Called and left a voicemail about the quote.", "Asked for pricing on the premium package.",
        "Prefers to be contacted by email after 5pm.", "Booked a consultation for next week.",
        "Follow up about the invoice sent last Tuesday.", "Interested in a maintenance plan.",
    ]
    static let taskTitles = ["Call back", "Send quote", "Follow up on proposal", "Confirm appointment", "Collect review"]

    /// Builds the data for one location.
    public func generate() -> SandboxData {
        var random = SeededRandom(seed: seed)
        let locationId = random.identifier()
        let users = (0..<4).map { _ in random.identifier() }
        let customFields = [
            CustomFieldDefinition(id: random.identifier(), key: "contact.localiq_id", name: "LocaliQ ID", dataType: "TEXT"),
            CustomFieldDefinition(id: random.identifier(), key: "contact.lead_score", name: "Lead score", dataType: "TEXT"),
            CustomFieldDefinition(
                id: random.identifier(), key: "contact.preferred_contact_time", name: "Preferred contact time",
                dataType: "SINGLE_OPTIONS"),
        ]
        let businessIds = (0..<3).map { _ in String(format: "%012llx%012llx", random.next() >> 16, random.next() >> 16) }
        var data = SandboxData(
            locationId: locationId, users: users, customFields: customFields, contacts: [], tasks: [], notes: [],
            appointments: [])
        data.contacts.reserveCapacity(contactCount)
        let span: TimeInterval = 400 * 86_400
        for index in 0..<contactCount {
            let added = referenceDate.addingTimeInterval(-Double.random(in: 0..<span, using: &random).rounded())
            let updated =
                random.chance(0.6)
                ? added.addingTimeInterval(Double.random(in: 0..<(referenceDate.timeIntervalSince(added) + 1), using: &random).rounded())
                : added
            let contact = makeContact(
                index: index, locationId: locationId, users: users, customFields: customFields, businessIds: businessIds,
                added: added, updated: updated, random: &random)
            data.contacts.append(contact)
            for _ in 0..<Int.random(in: 0...2, using: &random) {
                let due = added.addingTimeInterval(Double(Int.random(in: 1...60, using: &random)) * 86_400)
                data.tasks.append(
                    SandboxTask(
                        id: random.identifier(), contactId: contact.id, title: random.pick(Self.taskTitles),
                        body: random.chance(0.5) ? "Re: \(contact.companyName ?? "enquiry")" : nil,
                        assignedTo: random.pick(users), dueDate: SandboxTime.iso8601(due),
                        completed: due < referenceDate && random.chance(0.7), dateAdded: added))
            }
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                data.notes.append(
                    SandboxNote(
                        id: random.identifier(), contactId: contact.id, body: random.pick(Self.noteBodies),
                        userId: random.pick(users), title: random.chance(0.3) ? "Call summary" : nil,
                        color: nil, pinned: random.chance(0.1),
                        dateAdded: added.addingTimeInterval(Double(Int.random(in: 0...30, using: &random)) * 3_600)))
            }
            if random.chance(0.35) {
                let start = added.addingTimeInterval(Double(Int.random(in: 1...21, using: &random)) * 86_400 + 15 * 3_600)
                data.appointments.append(
                    SandboxAppointment(
                        id: random.identifier(), contactId: contact.id, calendarId: customFields[0].id,
                        title: "Consultation", status: random.pick(["booked", "confirmed", "showed", "noshow", "cancelled"]),
                        assignedUserId: random.pick(users), notes: random.chance(0.4) ? "Bring previous invoices" : nil,
                        address: nil, startTime: SandboxTime.appointmentTime(start),
                        endTime: SandboxTime.appointmentTime(start.addingTimeInterval(1_800)),
                        dateAdded: SandboxTime.appointmentTime(added), dateUpdated: SandboxTime.appointmentTime(added)))
            }
        }
        return data
    }

    private func makeContact(
        index: Int, locationId: String, users: [String], customFields: [CustomFieldDefinition],
        businessIds: [String], added: Date, updated: Date, random: inout SeededRandom
    ) -> SandboxContact {
        let first = random.pick(Self.firstNames)
        let last = random.pick(Self.lastNames)
        let place = random.pick(Self.places)
        let emailLocal = "\(first).\(last)\(index)".folding(options: .diacriticInsensitive, locale: nil)
            .filter { $0.isLetter || $0.isNumber || $0 == "." }
        let email = random.chance(0.95) ? (random.chance(0.1) ? "\(emailLocal)@Example.com" : "\(emailLocal.lowercased())@example.com") : nil
        let area = 201 + (index / 100) % 780
        let phone = random.chance(0.9) ? String(format: "+1%03d55501%02d", area, index % 100) : nil
        let company: String? = random.chance(0.6) ? random.pick(Self.companies) : nil
        let source = random.pick(Self.sources)
        let campaign = random.pick(Self.campaigns)
        var tags = [String]()
        for _ in 0..<Int.random(in: 0...3, using: &random) { tags.append(random.pick(Self.tagPool)) }
        var custom = [CustomFieldValue(id: customFields[1].id, value: .string(String(Int.random(in: 1...100, using: &random))))]
        if source == "LocaliQ" {
            custom.append(CustomFieldValue(id: customFields[0].id, value: .string(String(Int.random(in: 1_000_000_000...9_999_999_999, using: &random)))))
        }
        return SandboxContact(
            id: random.identifier(), locationId: locationId, firstName: first, lastName: last, email: email,
            phone: phone, companyName: company, timezone: "America/Chicago", dnd: random.chance(0.05),
            dndSettings: nil, type: random.chance(0.8) ? "lead" : "customer", source: source,
            assignedTo: random.chance(0.7) ? random.pick(users) : nil,
            address1: "\(Int.random(in: 1...9999, using: &random)) Main St", city: place.city, state: place.state,
            country: "US", postalCode: place.postal, website: nil, tags: ContactNormalizer.tags(tags),
            dateOfBirth: nil, dateAdded: added, dateUpdated: updated, customFields: custom,
            businessId: company != nil && random.chance(0.3) ? random.pick(businessIds) : nil,
            attributionSource: AttributionSource(
                url: "https://www.example.com/landing", campaign: campaign.campaign, utmSource: campaign.source,
                utmMedium: campaign.medium, utmContent: nil, referrer: nil, medium: campaign.medium, gclid: nil, fbclid: nil),
            lastAttributionSource: nil, followers: [], deleted: false)
    }
}
