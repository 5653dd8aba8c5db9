import Foundation

/// A plan's changes as they are made, each with its sort key (`Planner.sortKey`) worked out then,
/// on the core that made the change while its strings are in that core's cache: worked out
/// afterwards, reaching each change's scattered strings again cost 1.5 µs a change.
struct PlanChanges: Sendable {
    private var list: [Change] = []
    private var keys: [[UInt8]] = []

    mutating func append(_ change: Change) {
        keys.append(Planner.sortKey(change))
        list.append(change)
    }

    static func += (changes: inout PlanChanges, more: PlanChanges) {
        changes.list += more.list
        changes.keys += more.keys
    }

    /// The changes and their keys, in the order they were made, moved out (this is left empty:
    /// a change still held here would be copied when its id is set).
    mutating func take() -> (changes: [Change], keys: [[UInt8]]) {
        var taken: (changes: [Change], keys: [[UInt8]]) = ([], [])
        swap(&taken.changes, &list)
        swap(&taken.keys, &keys)
        return taken
    }
}
