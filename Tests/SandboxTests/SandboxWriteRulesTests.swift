import Foundation
import Sandbox
import Testing

/// Upsert and duplicate rules, tags, task completion, note edits and deletion, as a client sees them.
@Suite("Sandbox write rules")
struct SandboxWriteRulesTests {
    @Test("upsert creates, then updates the contact its email matches")
    func upsertByEmail() async throws {
        try await SandboxServer.withRunning(.testing()) { sandbox async throws in
            let api = SandboxHTTP(sandbox.info)
            let location = sandbox.info.locationId
            let first = try await api.send("POST", "/contacts/upsert", json: ["locationId": location, "email": "kai.north@example.com", "firstName": "Kai"])
            #expect(first.status == 200)
            #expect(first.body["new"]?.bool == true)
            let id = try #require(first.body["contact"]?["id"]?.string)
            let second = try await api.send("POST", "/contacts/upsert", json: ["locationId": location, "email": "KAI.NORTH@example.com", "lastName": "North"])
            #expect(second.body["new"]?.bool == false)
            #expect(second.body["contact"]?["id"]?.string == id)
            let stored = try await sandbox.store.contact(id)
            #expect(stored.firstName == "Kai")
            #expect(stored.lastName == "North")
        }
    }

    @Test("with email and phone on two different contacts, upsert updates the first in the sequence")
    func upsertSequence() async throws {
        for sequence in [[DuplicatePolicy.Field.email, .phone], [.phone, .email]] {
            var configuration = SandboxConfiguration.testing()
            configuration.duplicatePolicy.sequence = sequence
            try await SandboxServer.withRunning(configuration) { sandbox async throws in
                let byEmail = await sandbox.store.insert(firstName: "E", lastName: nil, email: "e@example.com", phone: nil)
                let byPhone = await sandbox.store.insert(firstName: "P", lastName: nil, email: nil, phone: "(312) 555-0177")
                let api = SandboxHTTP(sandbox.info)
                let reply = try await api.send("POST", "/contacts/upsert", json: [
                    "locationId": sandbox.info.locationId, "email": "e@example.com", "phone": "+13125550177", "city": "Tampa",
                ])
                #expect(reply.body["new"]?.bool == false)
                let expected = sequence.first == .email ? byEmail.id : byPhone.id
                #expect(reply.body["contact"]?["id"]?.string == expected)
                #expect(await sandbox.store.contactCount == 22)
            }
        }
    }

    @Test("create refuses a duplicate unless the location allows them")
    func createDuplicates() async throws {
        for allow in [false, true] {
            var configuration = SandboxConfiguration.testing()
            configuration.duplicatePolicy.allowDuplicates = allow
            try await SandboxServer.withRunning(configuration) { sandbox async throws in
                let existing = try #require(await sandbox.store.allContacts().first { $0.email != nil })
                let api = SandboxHTTP(sandbox.info)
                let reply = try await api.send("POST", "/contacts/", json: ["locationId": sandbox.info.locationId, "email": existing.email ?? ""])
                if allow {
                    #expect(reply.status == 201)
                } else {
                    #expect(reply.status == 400)
                    #expect(reply.body["meta"]?["contactId"]?.string == existing.id)
                    #expect(reply.body["meta"]?["matchingField"]?.string == "email")
                }
                let forced = try await api.send("POST", "/contacts/upsert", json: [
                    "locationId": sandbox.info.locationId, "email": existing.email ?? "", "createNewIfDuplicateAllowed": true,
                ])
                #expect(forced.body["new"]?.bool == allow)
            }
        }
    }

    @Test("duplicate search finds by email first, then by phone")
    func duplicateSearch() async throws {
        try await SandboxServer.withRunning(.testing()) { sandbox async throws in
            let contact = await sandbox.store.insert(firstName: "D", lastName: nil, email: "dup@example.com", phone: "312-555-0155")
            let api = SandboxHTTP(sandbox.info)
            let location = sandbox.info.locationId
            let byPhone = try await api.send("GET", "/contacts/search/duplicate?locationId=\(location)&number=%2B13125550155")
            #expect(byPhone.body["contact"]?["id"]?.string == contact.id)
            let byEmail = try await api.send("GET", "/contacts/search/duplicate?locationId=\(location)&email=dup%40example.com")
            #expect(byEmail.body["contact"]?["id"]?.string == contact.id)
            let none = try await api.send("GET", "/contacts/search/duplicate?locationId=\(location)&email=nobody%40example.com")
            #expect(none.status == 200)
            #expect(none.body["contact"] == .null)
        }
    }

    @Test("tags are a set: added, removed, lower-cased; PUT tags replaces them")
    func tags() async throws {
        try await SandboxServer.withRunning(.testing()) { sandbox async throws in
            let contact = await sandbox.store.insert(firstName: "T", lastName: nil, email: "t@example.com", phone: nil, tags: ["old"])
            let api = SandboxHTTP(sandbox.info)
            let added = try await api.send("POST", "/contacts/\(contact.id)/tags", json: ["tags": ["VIP", "old", " hot "]])
            #expect(added.status == 201)
            #expect(added.body["tags"]?.array?.compactMap(\.string) == ["old", "vip", "hot"])
            let removed = try await api.send("DELETE", "/contacts/\(contact.id)/tags", json: ["tags": ["old"]])
            #expect(removed.body["tags"]?.array?.compactMap(\.string) == ["vip", "hot"])
            _ = try await api.send("PUT", "/contacts/\(contact.id)", json: ["tags": ["only"]])
            #expect(try await sandbox.store.contact(contact.id).tags == ["only"])
        }
    }

    @Test("a task is completed through PUT …/completed; a note edit keeps its dateAdded")
    func tasksAndNotes() async throws {
        try await SandboxServer.withRunning(.testing()) { sandbox async throws in
            let contact = try #require(await sandbox.store.allContacts().first)
            let api = SandboxHTTP(sandbox.info)
            let task = try await api.send("POST", "/contacts/\(contact.id)/tasks", json: ["title": "Send quote", "dueDate": "2026-12-02T09:00:00.000Z", "completed": false])
            let taskId = try #require(task.body["task"]?["id"]?.string)
            let done = try await api.send("PUT", "/contacts/\(contact.id)/tasks/\(taskId)/completed", json: ["completed": true])
            #expect(done.body["task"]?["completed"]?.bool == true)
            #expect(try await sandbox.store.task(taskId, of: contact.id).completed)

            let note = try await api.send("POST", "/contacts/\(contact.id)/notes", json: ["body": "First draft"])
            let noteId = try #require(note.body["note"]?["id"]?.string)
            let added = note.body["note"]?["dateAdded"]?.string
            let edited = try await api.send("PUT", "/contacts/\(contact.id)/notes/\(noteId)", json: ["body": "Final text", "pinned": true])
            #expect(edited.body["note"]?["body"]?.string == "Final text")
            #expect(edited.body["note"]?["pinned"]?.bool == true)
            #expect(edited.body["note"]?["dateAdded"]?.string == added)
        }
    }

    @Test("custom fields are written with field_value and read back as value; 'value' on write is ignored")
    func customFields() async throws {
        try await SandboxServer.withRunning(.testing()) { sandbox async throws in
            let contact = await sandbox.store.insert(firstName: "C", lastName: nil, email: "c@example.com", phone: nil)
            let field = try #require(await sandbox.store.customFieldDefinitions.first)
            let api = SandboxHTTP(sandbox.info)
            _ = try await api.send("PUT", "/contacts/\(contact.id)", json: ["customFields": [["id": field.id, "value": "ignored"]]])
            #expect(try await sandbox.store.contact(contact.id).customFields.isEmpty)
            let reply = try await api.send("PUT", "/contacts/\(contact.id)", json: ["customFields": [["key": field.key, "field_value": "1234567890"]]])
            let values = reply.body["contact"]?["customFields"]?.array ?? []
            #expect(values.first?["id"]?.string == field.id)
            #expect(values.first?["value"]?.string == "1234567890")
        }
    }

    @Test("a deleted contact and its tasks, notes and appointments answer 404")
    func deletedContacts() async throws {
        try await SandboxServer.withRunning(.testing()) { sandbox async throws in
            let contact = try #require(await sandbox.store.allContacts().first)
            let api = SandboxHTTP(sandbox.info)
            #expect(try await api.send("DELETE", "/contacts/\(contact.id)").body["succeded"]?.bool == true)
            for path in ["", "/tasks", "/notes", "/appointments"] {
                #expect(try await api.send("GET", "/contacts/\(contact.id)\(path)").status == 404, "\(path)")
            }
            #expect(try await api.send("DELETE", "/contacts/\(contact.id)").status == 404)
        }
    }
}
