import Foundation

/// Notes and follow-up tasks: the activity side of a plan, after contacts are matched.
extension PlanContext {
    // MARK: Notes

    /// The marker a note written from a LocaliQ activity carries, so it is written once.
    static func activityMarker(_ id: String) -> String { "LocaliQ activity \(id)" }

    /// Notes are append-only both ways: each LocaliQ call, form or chat becomes one HighLevel
    /// note (its time kept in the title, since HighLevel sets a note's own date); each HighLevel
    /// note of a linked contact becomes one LocaliQ note row with its original time.
    mutating func planNotes(activities: [PlanActivity], notes: [String: [PlanNote]]) {
        var seen = Set<String>()
        for item in activities {
            guard let sourceId = item.contactSourceId else { continue }
            let contactId = matchedContacts[sourceId] ?? linkedContact(sourceId)
            guard contactId != nil || createdFrom.contains(sourceId) else { continue }
            let activityId = item.activity["id"]?.string ?? FileDigest.sha256(JSON.object(item.activity).canonicalText).prefix(16).description
            guard seen.insert(activityId).inserted else { continue }
            let marker = Self.activityMarker(activityId)
            if let contactId, notes[contactId]?.contains(where: { $0.body?.contains(marker) == true }) == true { continue }
            let (title, body) = Self.noteText(item.activity, marker: marker)
            changes.append(
                Change(
                    target: .highlevel, entity: .note, op: .create,
                    key: RecordKey(highlevelId: contactId, localiqId: sourceId, email: item.emailKey, phone: item.phoneKey),
                    after: ["title": .string(title), "body": .string(body), "activity_id": .string(activityId)],
                    reason: "LocaliQ \(item.activity["channel"]?.string ?? "activity") to a HighLevel note"))
        }
        guard !notes.isEmpty else { return }
        let withNotes = matchedPairs.map { ($0.sourceId, index.ids[Int($0.contact)]) }.filter { notes[$0.1] != nil }
        for (localiqId, contactId) in withNotes.sorted(by: { $0.0 < $1.0 }) {
            for note in notes[contactId] ?? [] where !(note.body?.contains("LocaliQ activity ") ?? false) && sent["note:" + note.id] == nil {
                changes.append(
                    Change(
                        target: .localiq, entity: .note, op: .create, key: RecordKey(highlevelId: contactId, localiqId: localiqId),
                        after: [
                            "note_id": .string(note.id), "created_at": note.dateAdded.map(JSON.string) ?? .null, "title": note.title.map(JSON.string) ?? .null,
                            "body": note.body.map(JSON.string) ?? .null,
                        ], reason: "HighLevel note to LocaliQ"))
            }
        }
    }

    /// A note's title and body from an activity: channel, time, duration, message, summary, transcript.
    static func noteText(_ activity: [String: JSON], marker: String) -> (String, String) {
        let channel = activity["channel"]?.string ?? "activity"
        let time = activity["occurred_at"]?.string.map { String($0.prefix(16)).replacingOccurrences(of: "T", with: " ") + " UTC" }
        let title = "LocaliQ \(channel)" + (time.map { " · \($0)" } ?? "")
        var lines: [String] = []
        if let subType = activity["sub_type"]?.string { lines.append("Type: \(subType)") }
        if let campaign = activity["campaign"]?.string { lines.append("Campaign: \(campaign)") }
        if let seconds = activity["duration"]?.number { lines.append("Duration: \(Int(seconds) / 60)m \(Int(seconds) % 60)s") }
        if let subject = activity["subject"]?.string { lines.append("Subject: \(subject)") }
        for key in ["message", "summary"] { if let text = activity[key]?.string { lines.append(text) } }
        if let transcript = activity["transcript"]?.string {
            let messages = (try? JSON.parse(Data(transcript.utf8)))?.array ?? []
            let rendered = messages.compactMap { message -> String? in
                guard let text = message["message"]?.string else { return nil }
                return "\(message["from"]?.string ?? "?"): \(text)"
            }
            lines.append(rendered.isEmpty ? transcript : rendered.joined(separator: "\n"))
        }
        if let url = activity["recording_url"]?.string { lines.append("Recording: \(url)") }
        lines.append("(\(marker)\(time.map { ", \($0)" } ?? ""))")
        return (title, lines.joined(separator: "\n"))
    }

    // MARK: Follow-up tasks

    /// The marker a follow-up task carries, so it is created once per LocaliQ record.
    static func followUpMarker(_ localiqId: String) -> String { "LocaliQ follow-up \(localiqId)" }

    /// Follow-up tasks as mapped: created while a row's status is open, completed once it is done.
    mutating func planTasks(rows: [PlanRow], rules: [Int64: FollowUpTaskRule], tasks: [String: [PlanTask]], now: Date) {
        for row in rows {
            guard let rule = rules[row.importId], let sourceId = row.sourceId, let status = row.fields["status"]?.string else { continue }
            let contactId = matchedContacts[sourceId] ?? linkedContact(sourceId)
            guard contactId != nil || createdFrom.contains(sourceId) else { continue }
            let marker = Self.followUpMarker(sourceId)
            let existing = contactId.flatMap { tasks[$0]?.first { $0.body?.contains(marker) == true } }
            let key = RecordKey(highlevelId: contactId, localiqId: sourceId, email: row.emailKey, phone: row.phoneKey)
            if rule.openStatuses.contains(status), existing == nil {
                var title = rule.title
                for field in ["first_name", "last_name", "email", "phone", "company"] {
                    title = title.replacingOccurrences(of: "{\(field)}", with: row.fields[field]?.string ?? "")
                }
                let due = Timestamp.format(now.addingTimeInterval(Double(rule.dueDays) * 86_400))
                changes.append(
                    Change(
                        target: .highlevel, entity: .task, op: .create, key: key,
                        after: [
                            "title": .string(title.trimmed), "body": .string("Follow up the LocaliQ lead (\(marker))."), "due_date": .string(due),
                            "marker": .string(marker),
                        ], reason: "LocaliQ lead is \(status): a follow-up task"))
            } else if rule.doneStatuses.contains(status), let task = existing, !task.completed {
                changes.append(
                    Change(
                        target: .highlevel, entity: .task, op: .update, key: key, before: ["completed": .bool(false)],
                        after: ["completed": .bool(true), "task_id": .string(task.id)],
                        reason: "LocaliQ lead is \(status): the follow-up task is done"))
            }
        }
    }
}
