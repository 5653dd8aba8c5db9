import Foundation

/// Builds the change set that reverses what an applied plan did, from its journal and the
/// `before` values it recorded: updates put the old values back, tags added are removed (and
/// removed ones added), contacts that plan created are deleted — nothing else is. The result is
/// reviewed and applied like any plan; its staleness checks protect later edits.
public struct UndoPlanner: Sendable {
    public let database: MirrorDatabase

    public init(database: MirrorDatabase) {
        self.database = database
    }

    public func plan(reversing original: ChangeSet, workspace: String, now: Date = Date()) throws -> ChangeSet {
        let journal = try database.journal(planId: original.header.planId)
        var changes: [Change] = []
        for change in original.changes {
            guard let entry = journal[change.id], entry.status == .done else { continue }
            if let reversed = reverse(change, entry: entry) { changes.append(reversed) }
        }
        let numbered = changes.enumerated().map { index, change in
            var change = change
            change.id = index + 1
            return change
        }
        let fingerprint = try database.contactsFingerprint()
        let header = ChangeSetHeader(
            planId: UUID().uuidString.lowercased(), created: Timestamp.format(now), workspace: workspace, direction: "undo of \(original.header.planId)",
            mirrorFingerprint: fingerprint.digest, mirrorContacts: fingerprint.count, inputs: try database.currentImports().map {
                PlanInput(importId: $0.id, file: $0.file, sha256: $0.sha256, profile: $0.profile)
            }, policies: original.header.policies)
        return ChangeSet(header: header, changes: numbered)
    }

    private func reverse(_ change: Change, entry: JournalEntry) -> Change? {
        let message = entry.message ?? ""
        switch (change.target, change.entity, change.op) {
        case (.highlevel, .contact, .create):
            // Only what this plan created; a create that linked to an existing contact is left alone.
            guard message.hasPrefix("created"), let id = entry.recordId else { return nil }
            var key = change.key
            key.highlevelId = id
            return Change(target: .highlevel, entity: .contact, op: .delete, key: key, reason: "undo: delete the contact plan created")
        case (.highlevel, .contact, .update):
            guard !message.hasPrefix("already") else { return nil }
            var written = change.after
            if let resolution = change.decision?.resolution, change.conflict != nil { written = resolution }
            written = written.filter { SyncField.named($0.key)?.updatableInHighLevel ?? false }
            let restore = written.keys.reduce(into: [String: JSON]()) { result, field in
                result[field] = change.fields.first { $0.field == field }?.highlevel ?? change.before[field] ?? .null
            }
            guard !restore.isEmpty else { return nil }
            var key = change.key
            key.highlevelId = key.highlevelId ?? entry.recordId
            return Change(
                target: .highlevel, entity: .contact, op: .update, key: key, before: written, after: restore,
                fields: restore.keys.sorted().map { FieldDiff(field: $0, base: nil, highlevel: written[$0], localiq: nil, proposed: restore[$0]) },
                reason: "undo: put back the values before the plan")
        case (.highlevel, .tags, .add), (.highlevel, .tags, .remove):
            guard !message.hasPrefix("already") else { return nil }
            return Change(
                target: .highlevel, entity: .tags, op: change.op == .add ? .remove : .add, key: change.key, before: change.after, after: change.after,
                reason: "undo: \(change.op == .add ? "remove the tags added" : "add back the tags removed")")
        case (.localiq, .contact, .update):
            let restore = change.after.keys.reduce(into: [String: JSON]()) { result, field in
                result[field] = change.fields.first { $0.field == field }?.localiq ?? .null
            }
            return Change(target: .localiq, entity: .contact, op: .update, key: change.key, before: change.after, after: restore, reason: "undo: LocaliQ values before the plan")
        case (.localiq, .contact, .create):
            return Change(target: .localiq, entity: .contact, op: .delete, key: change.key, reason: "undo: remove the row the plan sent to LocaliQ")
        default:
            return nil
        }
    }
}
