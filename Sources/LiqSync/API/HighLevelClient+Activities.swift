import Foundation

/// Tasks, notes and appointments of a contact.
extension HighLevelClient {
    public func tasks(of contactId: String) async throws -> [ContactTask] {
        let json = try await call("GET", "/contacts/\(Self.segment(contactId))/tasks")
        return json["tasks"]?.array?.compactMap { ContactTask(json: $0, contactId: contactId) } ?? []
    }

    public func task(_ taskId: String, of contactId: String) async throws -> ContactTask {
        let json = try await call("GET", "/contacts/\(Self.segment(contactId))/tasks/\(Self.segment(taskId))")
        return try Self.decode(json["task"], "GET", "/contacts/:id/tasks/:taskId") { ContactTask(json: $0, contactId: contactId) }
    }

    /// `POST …/tasks`: `title`, `dueDate` and `completed` are required by HighLevel.
    public func createTask(for contactId: String, _ fields: [String: JSON]) async throws -> ContactTask {
        let json = try await call(
            "POST", "/contacts/\(Self.segment(contactId))/tasks", body: .object(fields), repeatable: .ifNotProcessed)
        return try Self.decode(json["task"], "POST", "/contacts/:id/tasks") { ContactTask(json: $0, contactId: contactId) }
    }

    public func updateTask(_ taskId: String, of contactId: String, _ fields: [String: JSON]) async throws -> ContactTask {
        let json = try await call("PUT", "/contacts/\(Self.segment(contactId))/tasks/\(Self.segment(taskId))", body: .object(fields))
        return try Self.decode(json["task"], "PUT", "/contacts/:id/tasks/:taskId") { ContactTask(json: $0, contactId: contactId) }
    }

    /// `PUT …/tasks/:taskId/completed`.
    public func completeTask(_ taskId: String, of contactId: String, completed: Bool = true) async throws -> ContactTask {
        let json = try await call(
            "PUT", "/contacts/\(Self.segment(contactId))/tasks/\(Self.segment(taskId))/completed",
            body: .object(["completed": .bool(completed)]))
        return try Self.decode(json["task"], "PUT", "/contacts/:id/tasks/:taskId/completed") { ContactTask(json: $0, contactId: contactId) }
    }

    public func deleteTask(_ taskId: String, of contactId: String) async throws {
        _ = try await call("DELETE", "/contacts/\(Self.segment(contactId))/tasks/\(Self.segment(taskId))")
    }

    public func notes(of contactId: String) async throws -> [Note] {
        let json = try await call("GET", "/contacts/\(Self.segment(contactId))/notes")
        return json["notes"]?.array?.compactMap { Note(json: $0, contactId: contactId) } ?? []
    }

    public func note(_ noteId: String, of contactId: String) async throws -> Note {
        let json = try await call("GET", "/contacts/\(Self.segment(contactId))/notes/\(Self.segment(noteId))")
        return try Self.decode(json["note"], "GET", "/contacts/:id/notes/:id") { Note(json: $0, contactId: contactId) }
    }

    /// `POST …/notes`: `body` is required.
    public func createNote(for contactId: String, _ fields: [String: JSON]) async throws -> Note {
        let json = try await call(
            "POST", "/contacts/\(Self.segment(contactId))/notes", body: .object(fields), repeatable: .ifNotProcessed)
        return try Self.decode(json["note"], "POST", "/contacts/:id/notes") { Note(json: $0, contactId: contactId) }
    }

    public func updateNote(_ noteId: String, of contactId: String, _ fields: [String: JSON]) async throws -> Note {
        let json = try await call("PUT", "/contacts/\(Self.segment(contactId))/notes/\(Self.segment(noteId))", body: .object(fields))
        return try Self.decode(json["note"], "PUT", "/contacts/:id/notes/:id") { Note(json: $0, contactId: contactId) }
    }

    public func deleteNote(_ noteId: String, of contactId: String) async throws {
        _ = try await call("DELETE", "/contacts/\(Self.segment(contactId))/notes/\(Self.segment(noteId))")
    }

    public func appointments(of contactId: String) async throws -> [Appointment] {
        let json = try await call("GET", "/contacts/\(Self.segment(contactId))/appointments")
        return json["events"]?.array?.compactMap { Appointment(json: $0, contactId: contactId) } ?? []
    }

    static func decode<T>(_ json: JSON?, _ method: String, _ endpoint: String, _ make: (JSON) -> T?) throws -> T {
        guard let json, let value = make(json) else {
            throw APIError(kind: .malformedResponse, method: method, endpoint: endpoint, message: "no record with an id in the answer")
        }
        return value
    }
}
