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

/// One proposed write. Its values live in a box its copies share until one of them is changed
/// (copy on write): a plan merges, sorts and encodes tens of thousands of changes, and copying a
/// dozen references for each was 3% of a nightly plan's time.
public struct Change: Sendable, Codable, Equatable {
    /// Mutated only through `makeUnique()`: a box is changed only while one change holds it, so
    /// no two threads ever see it change.
    private final class Storage: @unchecked Sendable {
        var id: Int
        var target: ChangeTarget
        var entity: ChangeEntity
        var op: ChangeOperation
        var key: RecordKey
        var before: [String: JSON]
        var after: [String: JSON]
        var fields: [FieldDiff]
        var reason: String
        var conflict: Conflict?
        var decision: Decision?

        init(
            id: Int, target: ChangeTarget, entity: ChangeEntity, op: ChangeOperation, key: RecordKey, before: [String: JSON], after: [String: JSON],
            fields: [FieldDiff], reason: String, conflict: Conflict?, decision: Decision?
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

        func copy() -> Storage { Storage(id: id, target: target, entity: entity, op: op, key: key, before: before, after: after, fields: fields, reason: reason, conflict: conflict, decision: decision) }
    }

    private var storage: Storage

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// 1-based position in the plan.
    public var id: Int {
        _read { yield storage.id }
        _modify {
            makeUnique()
            yield &storage.id
        }
    }
    public var target: ChangeTarget {
        _read { yield storage.target }
        _modify {
            makeUnique()
            yield &storage.target
        }
    }
    public var entity: ChangeEntity {
        _read { yield storage.entity }
        _modify {
            makeUnique()
            yield &storage.entity
        }
    }
    public var op: ChangeOperation {
        _read { yield storage.op }
        _modify {
            makeUnique()
            yield &storage.op
        }
    }
    public var key: RecordKey {
        _read { yield storage.key }
        _modify {
            makeUnique()
            yield &storage.key
        }
    }
    /// The target's values of the written fields when the plan was made (the staleness check).
    public var before: [String: JSON] {
        _read { yield storage.before }
        _modify {
            makeUnique()
            yield &storage.before
        }
    }
    /// The values the change writes.
    public var after: [String: JSON] {
        _read { yield storage.after }
        _modify {
            makeUnique()
            yield &storage.after
        }
    }
    public var fields: [FieldDiff] {
        _read { yield storage.fields }
        _modify {
            makeUnique()
            yield &storage.fields
        }
    }
    public var reason: String {
        _read { yield storage.reason }
        _modify {
            makeUnique()
            yield &storage.reason
        }
    }
    public var conflict: Conflict? {
        _read { yield storage.conflict }
        _modify {
            makeUnique()
            yield &storage.conflict
        }
    }
    public var decision: Decision? {
        _read { yield storage.decision }
        _modify {
            makeUnique()
            yield &storage.decision
        }
    }

    public init(
        id: Int = 0, target: ChangeTarget, entity: ChangeEntity, op: ChangeOperation, key: RecordKey, before: [String: JSON] = [:],
        after: [String: JSON] = [:], fields: [FieldDiff] = [], reason: String, conflict: Conflict? = nil, decision: Decision? = nil
    ) {
        storage = Storage(id: id, target: target, entity: entity, op: op, key: key, before: before, after: after, fields: fields, reason: reason, conflict: conflict, decision: decision)
    }

    public static func == (lhs: Change, rhs: Change) -> Bool {
        lhs.storage === rhs.storage || (lhs.id == rhs.id && lhs.target == rhs.target && lhs.entity == rhs.entity && lhs.op == rhs.op && lhs.key == rhs.key && lhs.before == rhs.before && lhs.after == rhs.after && lhs.fields == rhs.fields && lhs.reason == rhs.reason && lhs.conflict == rhs.conflict && lhs.decision == rhs.decision)
    }

    private enum CodingKeys: String, CodingKey {
        case id, target, entity, op, key, before, after, fields, reason, conflict, decision
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(Int.self, forKey: .id),
            target: try container.decode(ChangeTarget.self, forKey: .target),
            entity: try container.decode(ChangeEntity.self, forKey: .entity),
            op: try container.decode(ChangeOperation.self, forKey: .op),
            key: try container.decode(RecordKey.self, forKey: .key),
            before: try container.decode([String: JSON].self, forKey: .before),
            after: try container.decode([String: JSON].self, forKey: .after),
            fields: try container.decode([FieldDiff].self, forKey: .fields),
            reason: try container.decode(String.self, forKey: .reason),
            conflict: try container.decodeIfPresent(Conflict.self, forKey: .conflict),
            decision: try container.decodeIfPresent(Decision.self, forKey: .decision))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(target, forKey: .target)
        try container.encode(entity, forKey: .entity)
        try container.encode(op, forKey: .op)
        try container.encode(key, forKey: .key)
        try container.encode(before, forKey: .before)
        try container.encode(after, forKey: .after)
        try container.encode(fields, forKey: .fields)
        try container.encode(reason, forKey: .reason)
        try container.encodeIfPresent(conflict, forKey: .conflict)
        try container.encodeIfPresent(decision, forKey: .decision)
    }

    /// Accepted, and not an unresolved conflict.
    public var isApplicable: Bool {
        guard decision?.verdict == .accepted, op != .report else { return false }
        return conflict == nil || decision?.resolution != nil
    }
}
