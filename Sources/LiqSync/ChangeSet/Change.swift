import Foundation

/// Where a change is written.
public enum ChangeTarget: String, Sendable, Codable, CaseIterable {
    case highlevel
    case localiq
}

/// What a change writes.
public enum ChangeEntity: String, Sendable, Codable, CaseIterable {
    case contact
    case tags
    case note
    case task
}

/// How it writes it.
public enum ChangeOperation: String, Sendable, Codable, CaseIterable {
    case create
    case update
    case delete
    /// Tags added to a contact (through the tags endpoint, never an overwrite).
    case add
    case remove
    /// Nothing to write: something a person should know (a contact archived on one side).
    case report
}

/// One field of a linked pair, three ways.
public struct FieldDiff: Sendable, Codable, Equatable {
    public var field: String
    /// What both sides last agreed on; nil on a first sync.
    public var base: JSON?
    public var highlevel: JSON?
    public var localiq: JSON?
    /// The value the change writes.
    public var proposed: JSON?

    public init(field: String, base: JSON?, highlevel: JSON?, localiq: JSON?, proposed: JSON?) {
        self.field = field
        self.base = base
        self.highlevel = highlevel
        self.localiq = localiq
        self.proposed = proposed
    }
}

/// Why a change cannot be applied as it is: a person must choose.
public struct Conflict: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// Both sides changed the field differently since the base (policy `manual`).
        case bothChanged = "both-changed"
        /// First sync: both sides hold different non-empty values.
        case firstSync = "first-sync"
        /// A LocaliQ row matches several HighLevel contacts, or several rows one contact.
        case ambiguousMatch = "ambiguous-match"
    }

    public var kind: Kind
    /// The fields in conflict.
    public var fields: [String]
    /// For ambiguous matches: the HighLevel ids (or LocaliQ ids) it could be.
    public var candidates: [String]

    public init(kind: Kind, fields: [String] = [], candidates: [String] = []) {
        self.kind = kind
        self.fields = fields
        self.candidates = candidates
    }
}

/// A person's (or a policy's) decision on a change.
public struct Decision: Sendable, Codable, Equatable {
    public enum Verdict: String, Sendable, Codable { case accepted, rejected }
    public var verdict: Verdict
    /// For a conflict: `highlevel`, `localiq`, or a literal value per field.
    public var resolution: [String: JSON]?
    public var by: String
    public var at: String

    public init(verdict: Verdict, resolution: [String: JSON]? = nil, by: String, at: String) {
        self.verdict = verdict
        self.resolution = resolution
        self.by = by
        self.at = at
    }
}

/// Which record a change is about, on each side.
public struct RecordKey: Sendable, Codable, Equatable, Hashable {
    public var highlevelId: String?
    public var localiqId: String?
    public var email: String?
    public var phone: String?

    public init(highlevelId: String? = nil, localiqId: String? = nil, email: String? = nil, phone: String? = nil) {
        self.highlevelId = highlevelId
        self.localiqId = localiqId
        self.email = email
        self.phone = phone
    }

    /// A stable text for ordering and display.
    public var sortText: String {
        [highlevelId ?? "", localiqId ?? "", email ?? "", phone ?? ""].joined(separator: "\u{1F}")
    }
}

/// One proposed write.
public struct Change: Sendable, Codable, Equatable {
    /// 1-based position in the plan.
    public var id: Int
    public var target: ChangeTarget
    public var entity: ChangeEntity
    public var op: ChangeOperation
    public var key: RecordKey
    /// The target's values of the written fields when the plan was made (the staleness check).
    public var before: [String: JSON]
    /// The values the change writes.
    public var after: [String: JSON]
    public var fields: [FieldDiff]
    public var reason: String
    public var conflict: Conflict?
    public var decision: Decision?

    public init(
        id: Int = 0, target: ChangeTarget, entity: ChangeEntity, op: ChangeOperation, key: RecordKey, before: [String: JSON] = [:],
        after: [String: JSON] = [:], fields: [FieldDiff] = [], reason: String, conflict: Conflict? = nil, decision: Decision? = nil
    ) {
        self.id = id
        self.target = target
        self.entity = entity
        self.op = op
        self.key = key
        self.before = before
        self.after = after
        self.fields = fields
        self.reason = reason
        self.conflict = conflict
        self.decision = decision
    }

    /// Accepted, and not an unresolved conflict.
    public var isApplicable: Bool {
        guard decision?.verdict == .accepted, op != .report else { return false }
        return conflict == nil || decision?.resolution != nil
    }
}

extension Change {
    /// The change as a JSON value with the same keys `Codable` gives it (absent optionals left
    /// out): written through `JSON.canonicalText`, an order of magnitude faster than JSONEncoder
    /// for plans of many changes.
    var json: JSON {
        var object: [String: JSON] = [
            "id": .number(Double(id)), "target": .string(target.rawValue), "entity": .string(entity.rawValue), "op": .string(op.rawValue),
            "key": key.json, "before": .object(before), "after": .object(after), "reason": .string(reason),
            "fields": .array(fields.map(\.json)),
        ]
        if let conflict {
            object["conflict"] = .object([
                "kind": .string(conflict.kind.rawValue), "fields": .array(conflict.fields.map(JSON.string)),
                "candidates": .array(conflict.candidates.map(JSON.string)),
            ])
        }
        if let decision {
            var value: [String: JSON] = ["verdict": .string(decision.verdict.rawValue), "by": .string(decision.by), "at": .string(decision.at)]
            if let resolution = decision.resolution { value["resolution"] = .object(resolution) }
            object["decision"] = .object(value)
        }
        return .object(object)
    }
}

extension RecordKey {
    var json: JSON {
        var object: [String: JSON] = [:]
        if let highlevelId { object["highlevelId"] = .string(highlevelId) }
        if let localiqId { object["localiqId"] = .string(localiqId) }
        if let email { object["email"] = .string(email) }
        if let phone { object["phone"] = .string(phone) }
        return .object(object)
    }
}

extension FieldDiff {
    var json: JSON {
        var object: [String: JSON] = ["field": .string(field)]
        if let base { object["base"] = base }
        if let highlevel { object["highlevel"] = highlevel }
        if let localiq { object["localiq"] = localiq }
        if let proposed { object["proposed"] = proposed }
        return .object(object)
    }
}
