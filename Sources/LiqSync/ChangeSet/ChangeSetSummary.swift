import Foundation

/// The counts people and scripts read first: per target, entity and operation; conflicts; decisions.
public struct ChangeSetSummary: Sendable, Codable, Equatable {
    public var path: String
    public var planId: String
    public var changes: Int
    /// `target/entity/op` → count.
    public var counts: [String: Int]
    public var conflicts: Int
    public var accepted: Int
    public var rejected: Int
    public var undecided: Int

    public init(_ set: ChangeSet, path: String) {
        self.path = path
        planId = set.header.planId
        changes = set.changes.count
        counts = set.counts
        conflicts = set.conflictCount
        accepted = set.changes.filter { $0.decision?.verdict == .accepted }.count
        rejected = set.changes.filter { $0.decision?.verdict == .rejected }.count
        undecided = changes - accepted - rejected
    }

    /// Lines for a terminal.
    public var lines: [String] {
        var lines = ["\(changes) change\(changes == 1 ? "" : "s") in \(path)"]
        let order = ChangeTarget.allCases.flatMap { target in ChangeEntity.allCases.flatMap { entity in ChangeOperation.allCases.map { "\(target.rawValue)/\(entity.rawValue)/\($0.rawValue)" } } }
        for key in order where counts[key] != nil {
            let parts = key.split(separator: "/")
            lines.append("  \(parts[0]): \(parts[2]) \(parts[1])  \(counts[key] ?? 0)")
        }
        if conflicts > 0 { lines.append("  conflicts needing a decision: \(conflicts)") }
        if accepted + rejected > 0 { lines.append("  accepted \(accepted), rejected \(rejected), undecided \(undecided)") }
        return lines
    }
}
