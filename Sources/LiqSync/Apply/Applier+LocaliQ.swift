import Foundation

extension Applier {
    /// The LocaliQ-bound rows: changes for LocaliQ, and resolved conflicts whose chosen values
    /// differ from what LocaliQ holds.
    static func localiqRows(_ changes: [Change]) -> [Change] {
        changes.compactMap { change in
            if change.target == .localiq { return change }
            guard let conflict = change.conflict, conflict.kind != .ambiguousMatch, let resolution = change.decision?.resolution else { return nil }
            var row = change
            row.target = .localiq
            row.after = resolution.filter { field, value in
                let diff = change.fields.first { $0.field == field }
                let sync = SyncField.named(field)
                return sync?.comparable(diff?.localiq) != sync?.comparable(value)
            }
            row.conflict = nil
            row.decision = Decision(verdict: .accepted, by: change.decision?.by ?? "", at: change.decision?.at ?? "")
            return row.after.isEmpty ? nil : row
        }
    }
}
