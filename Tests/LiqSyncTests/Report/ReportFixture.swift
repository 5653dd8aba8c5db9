import Foundation
import LiqSync

/// A small mirror with hand-placed records around the week 2026-11-16 … 2026-11-22 in
/// America/Chicago (UTC−6 then), each near a day or period boundary. `ReporterTests` holds the
/// answers worked out by hand from this list.
struct ReportFixture {
    let root: URL
    let mirror: MirrorDatabase

    static let chicago = TimeZone(identifier: "America/Chicago") ?? .gmt

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-report-\(UUID().uuidString)")
        mirror = try MirrorDatabase(file: root.appendingPathComponent("mirror.sqlite"))
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    static func date(_ text: String) -> Date { Timestamp.parse(text) ?? Date(timeIntervalSince1970: 0) }

    static func json(_ object: [String: Any]) -> JSON {
        (try? JSON.parse(JSONSerialization.data(withJSONObject: object))) ?? .null
    }

    /// The fixture's week (current) and, by construction, the week before it (previous).
    static func week(zone: TimeZone = chicago) throws -> ReportPeriod {
        try ReportPeriod(firstDay: ReportPeriod.parseDay("2026-11-16"), lastDay: ReportPeriod.parseDay("2026-11-22"), zone: zone, label: "2026-W47")
    }

    func populate() throws {
        func contact(_ id: String, added: String, source: String?, tags: [String], extra: [String: Any] = [:]) -> Contact? {
            var object: [String: Any] = ["id": id, "locationId": "loc", "firstName": "Person", "lastName": id, "dateAdded": added, "tags": tags]
            if let source { object["source"] = source }
            object.merge(extra) { $1 }
            return Contact(json: Self.json(object))
        }
        let contacts = [
            contact(
                "c1", added: "2026-11-16T06:00:00.000Z", source: "Google Ads", tags: ["VIP", "lead"],
                extra: ["email": "ann@example.com", "attributionSource": ["utmSource": "google", "utmMedium": "cpc", "campaign": "spring"]]),
            contact("c2", added: "2026-11-16T05:59:59.000Z", source: "Google Ads", tags: ["lead"], extra: ["phone": "+13125550142"]),
            contact("c3", added: "2026-11-23T05:59:00.000Z", source: nil, tags: []),
            contact("c4", added: "2026-11-23T06:00:00.000Z", source: "Yelp", tags: []),
            contact("c5", added: "2026-11-18T15:00:00.000Z", source: "Yelp", tags: ["Lead"]),
            contact("c6", added: "2026-11-10T12:00:00.000Z", source: "Yelp", tags: []),
            contact("c7", added: "2026-11-09T06:00:00.000Z", source: " ", tags: []),
        ].compactMap { $0 }
        try mirror.storeContacts(contacts)

        let notes = [
            ("n1", "c1", "2026-11-16T10:00:00.000Z"), ("n2", "c1", "2026-11-17T10:00:00.000Z"), ("n3", "c5", "2026-11-17T23:00:00.000Z"),
            ("n4", "c2", "2026-11-12T10:00:00.000Z"),
        ].compactMap { id, contactId, added in
            Note(json: Self.json(["id": id, "contactId": contactId, "body": "Called back", "dateAdded": added]), contactId: contactId)
        }
        try mirror.storeNotes(notes)

        func task(_ id: String, _ contactId: String, assigned: String?, due: String, completed: Bool) -> ContactTask? {
            var object: [String: Any] = ["id": id, "contactId": contactId, "title": "Follow up", "dueDate": due, "completed": completed]
            if let assigned { object["assignedTo"] = assigned }
            return ContactTask(json: Self.json(object), contactId: contactId)
        }
        // Created (first seen) and completed at the times given.
        let tasks: [(ContactTask?, String, String?)] = [
            (task("t1", "c1", assigned: "u1", due: "2026-11-20T00:00:00.000Z", completed: false), "2026-11-16T12:00:00.000Z", "2026-11-18T12:00:00.000Z"),
            (task("t2", "c1", assigned: "u1", due: "2026-11-19T00:00:00.000Z", completed: false), "2026-11-17T12:00:00.000Z", nil),
            (task("t3", "c5", assigned: "u2", due: "2026-11-30T00:00:00.000Z", completed: false), "2026-11-17T00:00:00.000Z", "2026-11-17T06:00:00.000Z"),
            (task("t4", "c2", assigned: nil, due: "2026-11-14T00:00:00.000Z", completed: false), "2026-11-10T00:00:00.000Z", "2026-11-20T00:00:00.000Z"),
        ]
        for (task, created, completed) in tasks {
            guard var task else { continue }
            try mirror.storeTasks([task], at: Self.date(created))
            if let completed {
                task.completed = true
                try mirror.storeTasks([task], at: Self.date(completed))
            }
        }

        let appointments = [
            ("a1", "c1", "2026-11-16T15:00:00.000Z", "2026-11-18T15:00:00.000Z", "showed"),
            ("a2", "c5", "2026-11-17T15:00:00.000Z", "2026-11-19T15:00:00.000Z", "noshow"),
            ("a3", "c5", "2026-11-17T16:00:00.000Z", "2026-11-25T15:00:00.000Z", "confirmed"),
            ("a4", "c2", "2026-11-11T15:00:00.000Z", "2026-11-12T15:00:00.000Z", "showed"),
            ("a5", "c3", "2026-11-24T00:00:00.000Z", "2026-11-26T15:00:00.000Z", "cancelled"),
        ].compactMap { id, contactId, booked, start, status in
            Appointment(
                json: Self.json([
                    "id": id, "contactId": contactId, "calendarId": "cal", "title": "Visit", "appointmentStatus": status, "startTime": start,
                    "dateAdded": booked,
                ]), contactId: contactId)
        }
        try mirror.storeAppointments(appointments)

        // LocaliQ: three interactions; L1 matches c1 by email, L3 matches c2 by phone.
        let interactions = """
            {"contact_interactions": [
              {"id": "i1", "contact_id": "L1", "event_type": "call", "occurred_at": "2026-11-16T12:00:00Z", "campaign_name": "Spring Promo",
               "contact": {"id": "L1", "email": "ann@example.com"}},
              {"id": "i2", "contact_id": "L2", "event_type": "form", "occurred_at": "2026-11-17T12:00:00Z", "campaign_name": "Spring Promo",
               "contact": {"id": "L2", "email": "nobody@example.com"}},
              {"id": "i3", "contact_id": "L3", "event_type": "chat", "occurred_at": "2026-11-12T12:00:00Z", "campaign_name": "Fall",
               "contact": {"id": "L3", "phone_mobile": "312-555-0142"}}
            ]}
            """
        let file = root.appendingPathComponent("interactions.json")
        try Data(interactions.utf8).write(to: file)
        _ = try Importer(database: mirror).run(file, mapping: try BuiltInProfiles.profile(named: "localiq-interactions"))

        var pullStats = ClientStats()
        pullStats.requests = 120
        pullStats.throttled = 2
        pullStats.retries = 3
        try mirror.recordRun(kind: "pull", startedAt: Self.date("2026-11-17T03:00:00.000Z"), status: "ok", stats: pullStats)
        var applyStats = ClientStats()
        applyStats.requests = 10
        try mirror.recordRun(kind: "apply", startedAt: Self.date("2026-11-18T03:00:00.000Z"), status: "failed", stats: applyStats)
        var earlier = ClientStats()
        earlier.requests = 50
        try mirror.recordRun(kind: "pull", startedAt: Self.date("2026-11-10T03:00:00.000Z"), status: "ok", stats: earlier)
    }
}
