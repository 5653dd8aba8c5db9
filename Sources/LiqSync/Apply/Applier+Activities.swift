import Foundation

/// Notes, follow-up tasks and deletes in HighLevel, each written once (the record is read first).
extension Applier {
    /// The HighLevel contact a change is about: named in the plan, or linked since (a contact the
    /// same apply created a moment ago).
    private func contact(of change: Change) throws -> String? {
        if let id = change.key.highlevelId { return id }
        return try change.key.localiqId.flatMap { try database.linkedContact($0) }
    }

    /// A note from a LocaliQ activity, once: the contact's notes are read first, and one that
    /// already carries the activity's marker means the note is there.
    func createNote(_ change: Change, client: HighLevelClient, planId: String, dryRun: Bool) async throws -> ApplyOutcome {
        guard let contactId = try contact(of: change) else {
            return outcome(change, dryRun ? "would-apply" : "failed", nil, "the contact is not in HighLevel yet; apply its create first")
        }
        let marker = PlanContext.activityMarker(change.after["activity_id"]?.string ?? "")
        let existing = try await client.notes(of: contactId)
        if let note = existing.first(where: { $0.body?.contains(marker) == true }) {
            if !dryRun { try database.recordOutcome(planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: note.id, message: "already there")) }
            return outcome(change, dryRun ? "would-apply" : "already-done", note.id, "the note is already there")
        }
        if dryRun { return outcome(change, "would-apply", contactId, "would add a note") }
        var fields: [String: JSON] = [:]
        fields["body"] = change.after["body"]
        fields["title"] = change.after["title"]
        let note = try await client.createNote(for: contactId, fields)
        try database.recordOutcome(planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: note.id, message: "note added"))
        try database.storeNotes([note])
        return outcome(change, "done", note.id, "note added")
    }

    /// A follow-up task, once per LocaliQ record (its marker is looked for among the contact's tasks).
    func createTask(_ change: Change, client: HighLevelClient, planId: String, dryRun: Bool) async throws -> ApplyOutcome {
        guard let contactId = try contact(of: change) else {
            return outcome(change, dryRun ? "would-apply" : "failed", nil, "the contact is not in HighLevel yet; apply its create first")
        }
        let marker = change.after["marker"]?.string ?? ""
        if let task = try await client.tasks(of: contactId).first(where: { $0.body?.contains(marker) == true }) {
            if !dryRun { try database.recordOutcome(planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: task.id, message: "already there")) }
            return outcome(change, dryRun ? "would-apply" : "already-done", task.id, "the task is already there")
        }
        if dryRun { return outcome(change, "would-apply", contactId, "would add a follow-up task") }
        var fields: [String: JSON] = ["completed": .bool(false)]
        for key in ["title", "body"] { fields[key] = change.after[key] }
        fields["dueDate"] = change.after["due_date"]
        let task = try await client.createTask(for: contactId, fields)
        try database.recordOutcome(planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: task.id, message: "task added"))
        try database.storeTasks([task])
        return outcome(change, "done", task.id, "follow-up task added")
    }

    /// Marks a follow-up task completed through `PUT …/tasks/:id/completed`.
    func completeTask(_ change: Change, client: HighLevelClient, planId: String, dryRun: Bool) async throws -> ApplyOutcome {
        guard let contactId = change.key.highlevelId, let taskId = change.after["task_id"]?.string else {
            return outcome(change, "failed", nil, "the change names no HighLevel task")
        }
        let current = try await client.task(taskId, of: contactId)
        if current.completed {
            if !dryRun { try database.recordOutcome(planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: taskId, message: "already completed")) }
            return outcome(change, dryRun ? "would-apply" : "already-done", taskId, "the task is already completed")
        }
        if dryRun { return outcome(change, "would-apply", taskId, "would complete the task") }
        let task = try await client.completeTask(taskId, of: contactId)
        try database.recordOutcome(planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: taskId, message: "task completed"))
        try database.storeTasks([task])
        return outcome(change, "done", taskId, "task completed")
    }

    func delete(_ change: Change, client: HighLevelClient, planId: String, dryRun: Bool) async throws -> ApplyOutcome {
        guard let id = change.key.highlevelId else { return outcome(change, "failed", nil, "the change names no HighLevel contact") }
        if dryRun { return outcome(change, "would-apply", id, "would delete the contact") }
        do {
            try await client.deleteContact(id)
        } catch let error as APIError where error.kind == .notFound {
            // Already gone: the goal of the change holds.
        }
        try database.recordOutcome(planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: id, message: "deleted"))
        return outcome(change, "done", id, "deleted")
    }
}
