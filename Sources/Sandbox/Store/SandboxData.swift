import Foundation

/// Everything the sandbox holds for its location, in the form it is saved to and loaded from a file.
public struct SandboxData: Sendable, Codable, Equatable {
    public static let formatVersion = 1

    public var formatVersion: Int = Self.formatVersion
    public var locationId: String
    public var users: [String]
    public var customFields: [CustomFieldDefinition]
    public var contacts: [SandboxContact]
    public var tasks: [SandboxTask]
    public var notes: [SandboxNote]
    public var appointments: [SandboxAppointment]

    /// Reads a file written by `write(to:)`.
    public static func load(from url: URL) throws -> SandboxData {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        let data = try decoder.decode(SandboxData.self, from: Data(contentsOf: url))
        guard data.formatVersion == formatVersion else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path])
        }
        return data
    }

    /// Writes atomically, so a crash never leaves half a file.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = .sortedKeys
        try encoder.encode(self).write(to: url, options: .atomic)
    }
}

extension SandboxStore {
    /// The current state, sorted so equal states give equal snapshots.
    public func snapshot() -> SandboxData {
        SandboxData(
            locationId: locationId, users: users, customFields: customFieldDefinitions,
            contacts: contacts.values.sorted { $0.id < $1.id },
            tasks: tasks.keys.sorted().flatMap { tasks[$0] ?? [] },
            notes: notes.keys.sorted().flatMap { notes[$0] ?? [] },
            appointments: appointments.keys.sorted().flatMap { appointments[$0] ?? [] })
    }

    /// Every contact, sorted by id.
    public func allContacts() -> [SandboxContact] {
        contacts.values.sorted { $0.id < $1.id }
    }

    /// Every task, note and appointment of a contact, for checks from tests.
    public func activities(of contactId: String) -> (tasks: [SandboxTask], notes: [SandboxNote], appointments: [SandboxAppointment]) {
        (tasks[contactId] ?? [], notes[contactId] ?? [], appointments[contactId] ?? [])
    }
}
