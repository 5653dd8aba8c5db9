import Foundation

/// Tasks, notes, appointments and tags of a contact. None of them changes the contact's
/// `dateUpdated`, as on the real service; only tag writes do, since tags are contact fields.
extension SandboxStore {
    static let taskFields: [String: RequestBody.Kind] = [
        "title": .string, "body": .string, "dueDate": .string, "completed": .boolean, "assignedTo": .string,
    ]
    static let noteFields: [String: RequestBody.Kind] = [
        "userId": .string, "body": .string, "title": .string, "color": .string, "pinned": .boolean,
    ]

    // MARK: Tasks

    public func tasks(of contactId: String) throws(SandboxAPIError) -> [SandboxTask] {
        _ = try contact(contactId)
        return tasks[contactId] ?? []
    }

    public func task(_ taskId: String, of contactId: String) throws(SandboxAPIError) -> SandboxTask {
        guard let task = try tasks(of: contactId).first(where: { $0.id == taskId }) else {
            throw .notFound("Task not found")
        }
        return task
    }

    func createTask(for contactId: String, _ data: Data) throws(SandboxAPIError) -> SandboxTask {
        _ = try contact(contactId)
        let body = try RequestBody(data: data, allowed: Self.taskFields, required: ["title", "dueDate", "completed"])
        try body.validate()
        let dueDate = try Self.checkedDueDate(body.string("dueDate"))
        let task = SandboxTask(
            id: newIdentifier(), contactId: contactId, title: body.string("title") ?? "",
            body: body.string("body"), assignedTo: body.string("assignedTo"), dueDate: dueDate ?? "",
            completed: body.bool("completed") ?? false, dateAdded: now())
        tasks[contactId, default: []].append(task)
        emitTask("TaskCreate", task)
        return task
    }

    func updateTask(_ taskId: String, of contactId: String, _ data: Data) throws(SandboxAPIError) -> SandboxTask {
        var task = try self.task(taskId, of: contactId)
        let body = try RequestBody(data: data, allowed: Self.taskFields)
        try body.validate()
        if let title = body.string("title") { task.title = title }
        if body.has("body") { task.body = body.string("body") }
        if let dueDate = try Self.checkedDueDate(body.string("dueDate")) { task.dueDate = dueDate }
        if let completed = body.bool("completed") { task.completed = completed }
        if body.has("assignedTo") { task.assignedTo = body.string("assignedTo") }
        return replace(task)
    }

    func completeTask(_ taskId: String, of contactId: String, _ data: Data) throws(SandboxAPIError) -> SandboxTask {
        var task = try self.task(taskId, of: contactId)
        let body = try RequestBody(data: data, allowed: ["completed": .boolean], required: ["completed"])
        try body.validate()
        task.completed = body.bool("completed") ?? task.completed
        return replace(task)
    }

    func deleteTask(_ taskId: String, of contactId: String) throws(SandboxAPIError) {
        let task = try task(taskId, of: contactId)
        tasks[contactId]?.removeAll { $0.id == taskId }
        emitTask("TaskDelete", task)
    }

    private func replace(_ task: SandboxTask) -> SandboxTask {
        if let index = tasks[task.contactId]?.firstIndex(where: { $0.id == task.id }) {
            // HighLevel has no TaskUpdate webhook; completing a task sends TaskComplete.
            if tasks[task.contactId]?[index].completed == false, task.completed { emitTask("TaskComplete", task) }
            tasks[task.contactId]?[index] = task
        }
        return task
    }

    private static func checkedDueDate(_ text: String?) throws(SandboxAPIError) -> String? {
        guard let text else { return nil }
        guard let date = SandboxTime.parse(.string(text)) else {
            throw .unprocessable(["dueDate must be a valid ISO 8601 date string"])
        }
        return SandboxTime.iso8601(date)
    }

    // MARK: Notes

    public func notes(of contactId: String) throws(SandboxAPIError) -> [SandboxNote] {
        _ = try contact(contactId)
        return (notes[contactId] ?? []).sorted { $0.dateAdded > $1.dateAdded }
    }

    public func note(_ noteId: String, of contactId: String) throws(SandboxAPIError) -> SandboxNote {
        guard let note = try notes(of: contactId).first(where: { $0.id == noteId }) else {
            throw .notFound("Note not found")
        }
        return note
    }

    func createNote(for contactId: String, _ data: Data) throws(SandboxAPIError) -> SandboxNote {
        _ = try contact(contactId)
        let body = try RequestBody(data: data, allowed: Self.noteFields, required: ["body"])
        try body.validate()
        guard let text = body.string("body"), !text.isEmpty else { throw .unprocessable(["body should not be empty"]) }
        let note = SandboxNote(
            id: newIdentifier(), contactId: contactId, body: text, userId: body.string("userId"),
            title: body.string("title"), color: body.string("color"), pinned: body.bool("pinned") ?? false,
            dateAdded: now())
        notes[contactId, default: []].append(note)
        emitNote("NoteCreate", note)
        return note
    }

    func updateNote(_ noteId: String, of contactId: String, _ data: Data) throws(SandboxAPIError) -> SandboxNote {
        var note = try self.note(noteId, of: contactId)
        let body = try RequestBody(data: data, allowed: Self.noteFields)
        try body.validate()
        if let text = body.string("body") { note.body = text }
        if body.has("userId") { note.userId = body.string("userId") }
        if body.has("title") { note.title = body.string("title") }
        if body.has("color") { note.color = body.string("color") }
        if let pinned = body.bool("pinned") { note.pinned = pinned }
        if let index = notes[contactId]?.firstIndex(where: { $0.id == noteId }) { notes[contactId]?[index] = note }
        emitNote("NoteUpdate", note)
        return note
    }

    func deleteNote(_ noteId: String, of contactId: String) throws(SandboxAPIError) {
        let note = try note(noteId, of: contactId)
        notes[contactId]?.removeAll { $0.id == noteId }
        emitNote("NoteDelete", note)
    }

    // MARK: Appointments and tags

    public func appointments(of contactId: String) throws(SandboxAPIError) -> [SandboxAppointment] {
        _ = try contact(contactId)
        return appointments[contactId] ?? []
    }

    /// `POST /contacts/:id/tags`: adds to the set; returns the contact's tags after.
    func addTags(to contactId: String, _ data: Data) throws(SandboxAPIError) -> [String] {
        try changeTags(of: contactId, data) { current, given in ContactNormalizer.tags(current + given) }
    }

    /// `DELETE /contacts/:id/tags`: removes from the set; returns the contact's tags after.
    func removeTags(from contactId: String, _ data: Data) throws(SandboxAPIError) -> [String] {
        try changeTags(of: contactId, data) { current, given in
            let gone = Set(ContactNormalizer.tags(given))
            return current.filter { !gone.contains($0) }
        }
    }

    private func changeTags(
        of contactId: String, _ data: Data, _ change: ([String], [String]) -> [String]
    ) throws(SandboxAPIError) -> [String] {
        var contact = try self.contact(contactId)
        let body = try RequestBody(data: data, allowed: ["tags": .stringArray], required: ["tags"])
        try body.validate()
        let updated = change(contact.tags, body.strings("tags") ?? [])
        if updated != contact.tags {
            contact.tags = updated
            contact.dateUpdated = now()
            store(contact)
        }
        return updated
    }
}
