import Foundation

/// Which changes a review command means: ids and ranges (`3`, `5-9`, `all`), narrowed by filters.
public struct ChangeSelection: Sendable, Equatable {
    public var ids: Set<Int>?
    public var entity: ChangeEntity?
    public var op: ChangeOperation?
    public var target: ChangeTarget?
    public var conflictsOnly = false
    public var field: String?

    public init(
        ids: Set<Int>? = nil, entity: ChangeEntity? = nil, op: ChangeOperation? = nil, target: ChangeTarget? = nil, conflictsOnly: Bool = false,
        field: String? = nil
    ) {
        self.ids = ids
        self.entity = entity
        self.op = op
        self.target = target
        self.conflictsOnly = conflictsOnly
        self.field = field
    }

    /// Parses `all`, `7`, `3,5-9,12`. Nil ids mean every change.
    public static func ids(_ text: String) throws -> Set<Int>? {
        let trimmed = text.trimmed.lowercased()
        if trimmed == "all" || trimmed == "*" { return nil }
        var ids = Set<Int>()
        for part in trimmed.split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            switch bounds.count {
            case 1:
                guard let id = bounds[0], id > 0 else { throw ChangeSelectionError.invalid(String(part)) }
                ids.insert(id)
            case 2:
                guard let low = bounds[0], let high = bounds[1], low > 0, low <= high, high - low < 10_000_000 else {
                    throw ChangeSelectionError.invalid(String(part))
                }
                ids.formUnion(low...high)
            default:
                throw ChangeSelectionError.invalid(String(part))
            }
        }
        guard !ids.isEmpty else { throw ChangeSelectionError.invalid(text) }
        return ids
    }

    public func matches(_ change: Change) -> Bool {
        if let ids, !ids.contains(change.id) { return false }
        if let entity, change.entity != entity { return false }
        if let op, change.op != op { return false }
        if let target, change.target != target { return false }
        if conflictsOnly, change.conflict == nil { return false }
        if let field, !change.fields.contains(where: { $0.field == field }), change.after[field] == nil { return false }
        return true
    }
}

public enum ChangeSelectionError: Error, LocalizedError, Equatable {
    case invalid(String)
    case unknownChange(Int, Int)
    case badResolution(String)
    case alreadyApplied(String)
    case notAConflict(Int)

    public var errorDescription: String? {
        switch self {
        case .invalid(let text): "'\(text)' is not a selection; use change ids and ranges such as 3,5-9, or all."
        case .unknownChange(let id, let count): "There is no change \(id); this plan has changes 1 to \(count)."
        case .badResolution(let text):
            "'\(text)' is not a resolution; use ID=highlevel, ID=localiq, or ID=field:value (e.g. 12=company:Acme Inc)."
        case .alreadyApplied(let planId): "Plan \(planId) was already applied, so its decisions cannot change; run 'liqsync plan' for a new plan."
        case .notAConflict(let id): "Change \(id) is not a conflict; accept or reject it instead of resolving it."
        }
    }
}

/// Decisions on a change set, by selection. Accepting never settles a conflict: a conflict is
/// applicable only once resolved.
public enum ChangeReview {
    /// Accepts or rejects the selected changes; returns the new set and how many changed.
    public static func decide(
        _ set: ChangeSet, _ selection: ChangeSelection, verdict: Decision.Verdict, by reviewer: String, at time: Date = Date()
    ) throws -> (ChangeSet, Int) {
        try guardNotApplied(set)
        if let ids = selection.ids, let missing = ids.sorted().first(where: { $0 < 1 || $0 > set.changes.count }) {
            throw ChangeSelectionError.unknownChange(missing, set.changes.count)
        }
        var result = set
        var count = 0
        for index in result.changes.indices where selection.matches(result.changes[index]) && result.changes[index].op != .report {
            let previous = result.changes[index].decision
            result.changes[index].decision = Decision(verdict: verdict, resolution: previous?.resolution, by: reviewer, at: Timestamp.format(time))
            count += 1
        }
        return (result, count)
    }

    /// Resolves a conflict: `highlevel`, `localiq`, or `field:value`. The change becomes accepted.
    public static func resolve(_ set: ChangeSet, _ text: String, by reviewer: String, at time: Date = Date()) throws -> ChangeSet {
        try guardNotApplied(set)
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let id = Int(parts[0].trimmed) else { throw ChangeSelectionError.badResolution(text) }
        guard id >= 1, id <= set.changes.count else { throw ChangeSelectionError.unknownChange(id, set.changes.count) }
        var result = set
        let index = id - 1
        let change = result.changes[index]
        guard let conflict = change.conflict else { throw ChangeSelectionError.notAConflict(id) }
        let choice = parts[1].trimmed
        var resolution: [String: JSON] = [:]
        switch choice.lowercased() {
        case "highlevel", "localiq":
            guard conflict.kind != .ambiguousMatch else { throw ChangeSelectionError.badResolution(text) }
            for diff in change.fields {
                resolution[diff.field] = (choice.lowercased() == "highlevel" ? diff.highlevel : diff.localiq) ?? .null
            }
        default:
            let pair = choice.split(separator: ":", maxSplits: 1).map(String.init)
            guard pair.count == 2, conflict.kind == .ambiguousMatch || conflict.fields.contains(pair[0]) else {
                throw ChangeSelectionError.badResolution(text)
            }
            resolution = change.decision?.resolution ?? [:]
            resolution[pair[0]] = .string(pair[1])
        }
        result.changes[index].decision = Decision(verdict: .accepted, resolution: resolution, by: reviewer, at: Timestamp.format(time))
        return result
    }

    private static func guardNotApplied(_ set: ChangeSet) throws {
        if set.header.applied != nil { throw ChangeSelectionError.alreadyApplied(set.header.planId) }
    }
}
