import Foundation
import Yams

/// What an unattended run may accept without a person (`--policy FILE`, see docs/nightly.md).
/// Conflicts and deletes are always held, whatever the file says.
public struct NightlyPolicy: Sendable, Equatable {
    public var createInHighLevel = true
    public var createInLocaliQ = true
    public var fillEmptyFields = true
    public var overwriteFields = false
    public var addTags = true
    public var removeTags = false
    public var notes = true
    public var tasks = true
    /// A plan with more applicable changes than this is held whole (a runaway-file guard).
    public var maxChanges = 5_000

    public init() {}

    static let keys = [
        "create_in_highlevel", "create_in_localiq", "fill_empty_fields", "overwrite_fields", "add_tags", "remove_tags", "notes", "tasks",
    ]

    public static func load(_ url: URL) throws -> NightlyPolicy {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw NightlyError.badPolicy(url.path, "the file cannot be read") }
        return try parse(text, path: url.path)
    }

    public static func parse(_ text: String, path: String) throws -> NightlyPolicy {
        var policy = NightlyPolicy()
        let loaded: Any?
        do { loaded = try Yams.load(yaml: text) } catch { throw NightlyError.badPolicy(path, "it is not valid YAML") }
        guard let root = loaded as? [String: Any] else {
            if loaded == nil { return policy }
            throw NightlyError.badPolicy(path, "it is not a mapping of settings")
        }
        for key in root.keys where !["accept", "max_changes"].contains(key) {
            throw NightlyError.badPolicy(path, "'\(key)' is not a setting (accept, max_changes)")
        }
        if let max = root["max_changes"] {
            guard let value = max as? Int, value >= 0 else { throw NightlyError.badPolicy(path, "max_changes must be a whole number") }
            policy.maxChanges = value
        }
        if let accept = root["accept"] {
            guard let accept = accept as? [String: Any] else { throw NightlyError.badPolicy(path, "accept must be a mapping of yes/no settings") }
            for (key, value) in accept {
                guard keys.contains(key) else {
                    throw NightlyError.badPolicy(path, "accept.\(key) is not a setting (\(keys.joined(separator: ", ")))")
                }
                guard let flag = value as? Bool else { throw NightlyError.badPolicy(path, "accept.\(key) must be true or false") }
                switch key {
                case "create_in_highlevel": policy.createInHighLevel = flag
                case "create_in_localiq": policy.createInLocaliQ = flag
                case "fill_empty_fields": policy.fillEmptyFields = flag
                case "overwrite_fields": policy.overwriteFields = flag
                case "add_tags": policy.addTags = flag
                case "remove_tags": policy.removeTags = flag
                case "notes": policy.notes = flag
                default: policy.tasks = flag
                }
            }
        }
        return policy
    }

    /// Whether the policy accepts `change`, and if not, why it is held.
    public func decide(_ change: Change) -> (accept: Bool, heldBecause: String?) {
        if change.conflict != nil { return (false, "conflict") }
        if change.op == .delete { return (false, "delete") }
        let allowed: Bool
        switch (change.entity, change.op) {
        case (.contact, .create): allowed = change.target == .highlevel ? createInHighLevel : createInLocaliQ
        case (.contact, .update):
            let fillsOnly = change.fields.allSatisfy { field in
                let current = change.target == .highlevel ? field.highlevel : field.localiq
                return Self.isEmpty(SyncField.named(field.field)?.comparable(current) ?? current)
            }
            allowed = fillsOnly ? fillEmptyFields : overwriteFields
        case (.tags, .add): allowed = addTags
        case (.tags, .remove): allowed = removeTags
        case (.note, _): allowed = notes
        case (.task, _): allowed = tasks
        default: allowed = false
        }
        return allowed ? (true, nil) : (false, "policy")
    }

    static func isEmpty(_ value: JSON?) -> Bool {
        switch value {
        case nil, .null?: true
        case .string(let text)?: text.trimmingCharacters(in: .whitespaces).isEmpty
        case .array(let items)?: items.isEmpty
        case .object(let members)?: members.isEmpty
        default: false
        }
    }

    /// The file `liqsync nightly --write-policy` prints: every setting with its default.
    public static let example = """
        # What 'liqsync nightly' may accept without a person. Conflicts (both sides changed a field
        # differently, ambiguous matches) and deletes are always held for 'liqsync review'.
        accept:
          create_in_highlevel: true   # LocaliQ leads new to HighLevel become contacts
          create_in_localiq: true     # HighLevel contacts new to LocaliQ go into its import files
          fill_empty_fields: true     # updates that only fill fields empty on the side written
          overwrite_fields: false     # updates that replace a value one side changed
          add_tags: true
          remove_tags: false
          notes: true                 # calls, forms, chats as HighLevel notes; HighLevel notes to LocaliQ
          tasks: true                 # follow-up tasks created, completed
        # Hold the whole plan when it has more changes than this (a wrong or runaway file).
        max_changes: 5000

        """
}
