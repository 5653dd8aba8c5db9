import Foundation
import Hummingbird

/// `/contacts/:contactId/{tasks,notes,appointments,tags}`.
struct ActivityRoutes {
    let store: SandboxStore

    func register(on router: RouterGroup<SandboxRequestContext>) {
        registerTasks(on: router)
        registerNotes(on: router)
        let store = self.store
        router.get("contacts/:contactId/appointments") { _, context in
            let events = try await store.appointments(of: context.pathParameter("contactId"))
            return JSONResponse.make(.object(["events": .array(events.map { $0.representation(locationId: store.locationId) })]))
        }
        router.post("contacts/:contactId/tags") { request, context in
            var request = request
            let tags = try await store.addTags(to: context.pathParameter("contactId"), try await request.bodyData())
            return JSONResponse.make(.object(["tags": .array(tags.map(JSONValue.string))]), status: 201)
        }
        router.delete("contacts/:contactId/tags") { request, context in
            var request = request
            let tags = try await store.removeTags(from: context.pathParameter("contactId"), try await request.bodyData())
            return JSONResponse.make(.object(["tags": .array(tags.map(JSONValue.string))]))
        }
    }

    private func registerTasks(on router: RouterGroup<SandboxRequestContext>) {
        let store = self.store
        router.get("contacts/:contactId/tasks") { _, context in
            let tasks = try await store.tasks(of: context.pathParameter("contactId"))
            return JSONResponse.make(.object(["tasks": .array(tasks.map { $0.representation() })]))
        }
        router.post("contacts/:contactId/tasks") { request, context in
            var request = request
            let task = try await store.createTask(for: context.pathParameter("contactId"), try await request.bodyData())
            return JSONResponse.make(.object(["task": task.representation()]), status: 201)
        }
        router.get("contacts/:contactId/tasks/:taskId") { _, context in
            let task = try await store.task(context.pathParameter("taskId"), of: context.pathParameter("contactId"))
            return JSONResponse.make(.object(["task": task.representation()]))
        }
        router.put("contacts/:contactId/tasks/:taskId") { request, context in
            var request = request
            let task = try await store.updateTask(
                context.pathParameter("taskId"), of: context.pathParameter("contactId"), try await request.bodyData())
            return JSONResponse.make(.object(["task": task.representation()]))
        }
        router.put("contacts/:contactId/tasks/:taskId/completed") { request, context in
            var request = request
            let task = try await store.completeTask(
                context.pathParameter("taskId"), of: context.pathParameter("contactId"), try await request.bodyData())
            return JSONResponse.make(.object(["task": task.representation()]))
        }
        router.delete("contacts/:contactId/tasks/:taskId") { _, context in
            try await store.deleteTask(context.pathParameter("taskId"), of: context.pathParameter("contactId"))
            return JSONResponse.make(.object(["succeded": .bool(true)]))
        }
    }

    private func registerNotes(on router: RouterGroup<SandboxRequestContext>) {
        let store = self.store
        router.get("contacts/:contactId/notes") { _, context in
            let notes = try await store.notes(of: context.pathParameter("contactId"))
            return JSONResponse.make(.object(["notes": .array(notes.map { $0.representation() })]))
        }
        router.post("contacts/:contactId/notes") { request, context in
            var request = request
            let note = try await store.createNote(for: context.pathParameter("contactId"), try await request.bodyData())
            return JSONResponse.make(.object(["note": note.representation()]), status: 201)
        }
        router.get("contacts/:contactId/notes/:id") { _, context in
            let note = try await store.note(context.pathParameter("id"), of: context.pathParameter("contactId"))
            return JSONResponse.make(.object(["note": note.representation()]))
        }
        router.put("contacts/:contactId/notes/:id") { request, context in
            var request = request
            let note = try await store.updateNote(
                context.pathParameter("id"), of: context.pathParameter("contactId"), try await request.bodyData())
            return JSONResponse.make(.object(["note": note.representation()]))
        }
        router.delete("contacts/:contactId/notes/:id") { _, context in
            try await store.deleteNote(context.pathParameter("id"), of: context.pathParameter("contactId"))
            return JSONResponse.make(.object(["succeded": .bool(true)]))
        }
    }
}
