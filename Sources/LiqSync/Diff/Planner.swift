import Foundation

/// Which way a plan proposes changes.
public enum PlanDirection: String, Sendable, Codable, CaseIterable {
    case both
    case toHighLevel = "to-highlevel"
    case toLocaliQ = "to-localiq"

    func includes(_ target: ChangeTarget) -> Bool {
        switch self {
        case .both: true
        case .toHighLevel: target == .highlevel
        case .toLocaliQ: target == .localiq
        }
    }
}

/// Builds a change set from the mirror (HighLevel) and staging (LocaliQ): matches rows to
/// contacts, diffs each linked pair three ways against the base, and applies the field policies.
/// The same inputs give the same changes in the same order.
public struct Planner: Sendable {
    public let database: MirrorDatabase
    public let policy: SyncPolicy

    public init(database: MirrorDatabase, policy: SyncPolicy = SyncPolicy()) {
        self.database = database
        self.policy = policy
    }

    /// Plans against the given imports (default: the latest finished import of each file).
    public func plan(direction: PlanDirection = .both, imports chosen: [Int64]? = nil, workspace: String, now: Date = Date()) throws -> ChangeSet {
        let imports = try database.currentImports().filter { chosen == nil || chosen?.contains($0.id) == true }
        var rows: [PlanRow] = []
        var inputs: [PlanInput] = []
        var taskRules: [Int64: FollowUpTaskRule] = [:]
        for record in imports {
            let summary = try database.importSummary(id: record.id)
            if let rule = summary?.followUpTask { taskRules[record.id] = rule }
            let known = summary?.format == "json" ? nil : summary?.mappedFields.map(Set.init)
            rows += try database.planRows(importId: record.id, knownColumns: known)
            inputs.append(PlanInput(importId: record.id, file: record.file, sha256: record.sha256, profile: record.profile))
        }
        var activities: [PlanActivity] = []
        for record in imports { activities += try database.planActivities(importId: record.id) }
        let contacts = try database.planContacts()
        let fingerprint = try database.contactsFingerprint()
        var context = PlanContext(
            contacts: contacts, links: try database.links(), base: try database.baseValues(), policy: policy, sent: try database.sentToLocaliQ())
        context.plan(rows)
        context.planNotes(activities: activities, notes: try database.planNotes())
        if !taskRules.isEmpty { context.planTasks(rows: rows, rules: taskRules, tasks: try database.planTasks(), now: now) }
        try database.recordAgreements(context.agreements)
        // Sorted by a key computed once per change (sorting by a computed tuple made this the
        // slowest step of a large plan).
        let selected = context.changes.filter { direction.includes($0.target) }
        let keys = selected.map { change in
            [change.target.rawValue, change.entity.rawValue, change.op.rawValue, change.key.sortText, Self.tieBreak(change)].joined(separator: "\u{0}")
        }
        let changes = selected.indices.sorted { keys[$0] < keys[$1] }.enumerated().map { position, index in
            var numbered = selected[index]
            numbered.id = position + 1
            return numbered
        }
        let header = ChangeSetHeader(
            planId: UUID().uuidString.lowercased(), created: Timestamp.format(now), workspace: workspace, direction: direction.rawValue,
            mirrorFingerprint: fingerprint.digest, mirrorContacts: fingerprint.count, inputs: inputs, policies: policy.summary)
        let set = ChangeSet(header: header, changes: changes)
        try database.recordRun(
            kind: "plan", mode: direction.rawValue, startedAt: now, status: "ok",
            counts: ["changes": changes.count, "conflicts": changes.filter { $0.conflict != nil }.count])
        return set
    }

    /// Orders changes of one record (several notes of a contact) by what they write.
    static func tieBreak(_ change: Change) -> String {
        change.after["activity_id"]?.string ?? change.after["note_id"]?.string ?? change.fields.map(\.field).joined(separator: ",")
    }
}

/// The working state of one plan.
struct PlanContext {
    let contacts: [String: PlanContact]
    let byEmail: [String: [String]]
    let byPhone: [String: [String]]
    let links: [String: String]
    let base: [String: [String: JSON]]
    let policy: SyncPolicy
    /// HighLevel contacts already sent to LocaliQ in an import file, with when.
    let sent: [String: String]
    var changes: [Change] = []
    /// LocaliQ id → the HighLevel contact its row matched.
    var matchedContacts: [String: String] = [:]
    /// LocaliQ ids of rows that become new HighLevel contacts.
    var createdFrom = Set<String>()
    private(set) var agreements: [(contactId: String, field: String, value: JSON?)] = []

    init(contacts list: [PlanContact], links: [String: String], base: [String: [String: JSON]], policy: SyncPolicy, sent: [String: String] = [:]) {
        var contacts: [String: PlanContact] = [:]
        var byEmail: [String: [String]] = [:]
        var byPhone: [String: [String]] = [:]
        for contact in list {
            contacts[contact.id] = contact
            guard !contact.deleted else { continue }
            if let key = contact.emailKey { byEmail[key, default: []].append(contact.id) }
            if let key = contact.phoneKey { byPhone[key, default: []].append(contact.id) }
        }
        self.contacts = contacts
        self.byEmail = byEmail
        self.byPhone = byPhone
        self.links = links
        self.base = base
        self.policy = policy
        self.sent = sent
    }

    /// How a row was matched.
    enum Match {
        case contact(String)
        case ambiguous([String])
        case none
    }

    /// The link table first, then a HighLevel id column, then email, then phone. Two different
    /// contacts by email and phone, or several by one key, are ambiguous: never a guess.
    func match(_ row: PlanRow) -> Match {
        // A link or id naming a contact since deleted in HighLevel does not count: the row is matched afresh.
        if let id = row.sourceId, let linked = links[id], contacts[linked]?.deleted == false { return .contact(linked) }
        if let id = row.fields["highlevel_id"]?.string, contacts[id]?.deleted == false { return .contact(id) }
        let byEmail = row.emailKey.flatMap { self.byEmail[$0] } ?? []
        let byPhone = row.phoneKey.flatMap { self.byPhone[$0] } ?? []
        if byEmail.count > 1 { return .ambiguous(byEmail.sorted()) }
        if byPhone.count > 1, byEmail.isEmpty { return .ambiguous(byPhone.sorted()) }
        if let email = byEmail.first {
            if let phone = byPhone.first, phone != email, byPhone.count == 1 {
                // The email says one contact, the phone another.
                return .ambiguous([email, phone].sorted())
            }
            return .contact(email)
        }
        if let phone = byPhone.first { return .contact(phone) }
        return .none
    }

    mutating func plan(_ rows: [PlanRow]) {
        var matched: [String: [PlanRow]] = [:]
        var seenContacts = Set<String>()
        for row in rows {
            switch match(row) {
            case .contact(let id): matched[id, default: []].append(row)
            case .ambiguous(let candidates):
                changes.append(
                    Change(
                        target: .highlevel, entity: .contact, op: .update, key: key(row), fields: [],
                        reason: "the LocaliQ row matches \(candidates.count) HighLevel contacts", conflict: Conflict(kind: .ambiguousMatch, candidates: candidates)))
                candidates.forEach { seenContacts.insert($0) }
            case .none:
                planNew(row)
            }
        }
        for (contactId, matchedRows) in matched.sorted(by: { $0.key < $1.key }) {
            seenContacts.insert(contactId)
            guard let contact = contacts[contactId] else { continue }
            if matchedRows.count > 1 {
                let ids = matchedRows.map { $0.sourceId ?? "line \($0.line)" }.sorted()
                changes.append(
                    Change(
                        target: .highlevel, entity: .contact, op: .update, key: RecordKey(highlevelId: contactId, email: contact.emailKey, phone: contact.phoneKey),
                        reason: "\(matchedRows.count) LocaliQ rows match this HighLevel contact", conflict: Conflict(kind: .ambiguousMatch, candidates: ids)))
                continue
            }
            let row = matchedRows[0]
            if let id = row.sourceId { matchedContacts[id] = contactId }
            diff(contact: contact, row: row)
        }
        // HighLevel contacts no LocaliQ row speaks for.
        let linkedContacts = Set(links.values)
        for id in contacts.keys.sorted() where !seenContacts.contains(id) {
            guard let contact = contacts[id] else { continue }
            let key = RecordKey(highlevelId: contact.id, email: contact.emailKey, phone: contact.phoneKey)
            if contact.deleted {
                guard linkedContacts.contains(contact.id) else { continue }
                changes.append(
                    Change(
                        target: .localiq, entity: .contact, op: policy.propagateDeletes ? .delete : .report, key: key,
                        reason: "deleted in HighLevel" + (policy.propagateDeletes ? "" : "; kept in LocaliQ (propagate_deletes is off)")))
            } else if let when = sent[contact.id] {
                changes.append(
                    Change(
                        target: .localiq, entity: .contact, op: .report, key: key,
                        reason: "sent to LocaliQ in an import file on \(when.prefix(10)); waiting for it to appear in a LocaliQ export"))
            } else if linkedContacts.contains(contact.id) {
                changes.append(Change(target: .localiq, entity: .contact, op: .report, key: key, reason: "linked, but missing from the LocaliQ export"))
            } else {
                changes.append(
                    Change(
                        target: .localiq, entity: .contact, op: .create, key: key, after: comparableValues(contact.values),
                        reason: "new in HighLevel"))
            }
        }
    }

    private func key(_ row: PlanRow) -> RecordKey {
        RecordKey(localiqId: row.sourceId, email: row.emailKey, phone: row.phoneKey)
    }

    /// A LocaliQ row no contact matches: a create in HighLevel, unless it is archived.
    private mutating func planNew(_ row: PlanRow) {
        if row.fields["archived"] != nil {
            changes.append(Change(target: .highlevel, entity: .contact, op: .report, key: key(row), reason: "archived in LocaliQ and not in HighLevel; not created"))
            return
        }
        var after: [String: JSON] = [:]
        for field in SyncField.all {
            if let value = row.fields[field.name], let comparable = field.comparable(value) {
                after[field.name] = field.name == "tags" ? comparable : row.fields[field.name] ?? comparable
            }
        }
        if let phone = row.phoneKey { after["phone"] = .string(phone) }
        changes.append(Change(target: .highlevel, entity: .contact, op: .create, key: key(row), after: after, reason: "new in LocaliQ"))
        if let id = row.sourceId { createdFrom.insert(id) }
    }

    private func comparableValues(_ values: [String: JSON]) -> [String: JSON] {
        var result: [String: JSON] = [:]
        for field in SyncField.all {
            if let value = values[field.name], field.comparable(value) != nil { result[field.name] = value }
        }
        return result
    }

    /// One linked pair, field by field.
    private mutating func diff(contact: PlanContact, row: PlanRow) {
        let key = RecordKey(highlevelId: contact.id, localiqId: row.sourceId, email: row.emailKey ?? contact.emailKey, phone: row.phoneKey ?? contact.phoneKey)
        if row.fields["archived"] != nil {
            changes.append(
                Change(
                    target: .highlevel, entity: .contact, op: policy.propagateDeletes ? .delete : .report, key: key,
                    reason: "archived in LocaliQ" + (policy.propagateDeletes ? "" : "; kept in HighLevel (propagate_deletes is off)")))
            return
        }
        // A field without an agreed value (never synced, or new in the mapping) follows the
        // first-sync rules; the others are three-way.
        let base = self.base[contact.id] ?? [:]
        var toHighLevel: [FieldDiff] = []
        var toLocaliQ: [FieldDiff] = []
        var conflicts: [FieldDiff] = []
        var notWritable: [FieldDiff] = []
        var firstSyncFields = Set<String>()
        for field in SyncField.all where row.known.contains(field.name) {
            let firstSync = base[field.name] == nil
            if firstSync { firstSyncFields.insert(field.name) }
            let b = firstSync ? nil : field.comparable(base[field.name])
            let h = field.comparable(contact.values[field.name])
            let l = field.comparable(row.fields[field.name])
            if field.name == "tags" {
                let baseTags = firstSync ? nil : Set(b?.array?.compactMap(\.string) ?? [])
                if let merged = planTags(contact: contact, key: key, base: baseTags, highlevel: h, localiq: l) {
                    toLocaliQ.append(merged)
                }
                continue
            }
            if h == l {
                if firstSync || b != h { agreements.append((contact.id, field.name, h ?? .null)) }
                continue
            }
            let diff = FieldDiff(field: field.name, base: b, highlevel: contact.values[field.name], localiq: row.fields[field.name], proposed: nil)
            let side: ChangeTarget?
            if firstSync {
                if h == nil {
                    side = .highlevel
                } else if l == nil {
                    side = .localiq
                } else {
                    side = settle(policy.firstSync, contact: contact, row: row)
                }
            } else if h == b {
                side = .highlevel  // LocaliQ changed
            } else if l == b {
                side = .localiq  // HighLevel changed
            } else {
                side = settle(policy.policy(for: field.name), contact: contact, row: row)
            }
            switch side {
            case .highlevel? where !field.updatableInHighLevel:
                notWritable.append(diff)
            case .highlevel?:
                var proposed = diff
                proposed.proposed = field.name == "phone" ? l : row.fields[field.name]
                toHighLevel.append(proposed)
            case .localiq?:
                var proposed = diff
                proposed.proposed = contact.values[field.name]
                toLocaliQ.append(proposed)
            case nil:
                conflicts.append(diff)
            }
        }
        if !toHighLevel.isEmpty {
            changes.append(
                Change(
                    target: .highlevel, entity: .contact, op: .update, key: key, before: before(toHighLevel, \.highlevel),
                    after: after(toHighLevel), fields: toHighLevel,
                    reason: reason(toHighLevel, firstSync: toHighLevel.allSatisfy { firstSyncFields.contains($0.field) }, changedSide: "LocaliQ")))
        }
        if !toLocaliQ.isEmpty {
            changes.append(
                Change(
                    target: .localiq, entity: .contact, op: .update, key: key, before: before(toLocaliQ, \.localiq), after: after(toLocaliQ),
                    fields: toLocaliQ,
                    reason: reason(toLocaliQ, firstSync: toLocaliQ.allSatisfy { firstSyncFields.contains($0.field) }, changedSide: "HighLevel")))
        }
        if !notWritable.isEmpty {
            changes.append(
                Change(
                    target: .highlevel, entity: .contact, op: .report, key: key, fields: notWritable,
                    reason: "LocaliQ has a different \(notWritable.map(\.field).joined(separator: ", ")); HighLevel's API cannot change it on an existing contact, so change it in HighLevel by hand"))
        }
        if !conflicts.isEmpty {
            let firstSync = conflicts.allSatisfy { firstSyncFields.contains($0.field) }
            changes.append(
                Change(
                    target: .highlevel, entity: .contact, op: .update, key: key, before: before(conflicts, \.highlevel), fields: conflicts,
                    reason: firstSync ? "first sync: both sides hold different values" : "both sides changed since they last agreed",
                    conflict: Conflict(kind: firstSync ? .firstSync : .bothChanged, fields: conflicts.map(\.field))))
        }
    }

    private func before(_ diffs: [FieldDiff], _ side: KeyPath<FieldDiff, JSON?>) -> [String: JSON] {
        var values: [String: JSON] = [:]
        for diff in diffs { values[diff.field] = diff[keyPath: side] ?? .null }
        return values
    }

    private func after(_ diffs: [FieldDiff]) -> [String: JSON] {
        var values: [String: JSON] = [:]
        for diff in diffs { values[diff.field] = diff.proposed ?? .null }
        return values
    }

    private func reason(_ diffs: [FieldDiff], firstSync: Bool, changedSide: String) -> String {
        if firstSync { return "first sync: filled from \(changedSide)" }
        return "changed in \(changedSide) since the last sync"
    }

    /// Which side wins under a policy; nil is a conflict.
    private func settle(_ policy: FieldPolicy, contact: PlanContact, row: PlanRow) -> ChangeTarget? {
        switch policy {
        case .highlevelWins: return .localiq
        case .localiqWins: return .highlevel
        case .manual: return nil
        case .newestWins:
            guard let highlevel = contact.dateUpdated, let localiq = row.fields["updated"]?.string else { return nil }
            return highlevel >= localiq ? .localiq : .highlevel
        }
    }

    /// Tags as sets: additions and removals through HighLevel's tags endpoints; the merged list
    /// LocaliQ should hold is returned as a field of its contact update.
    private mutating func planTags(contact: PlanContact, key: RecordKey, base: Set<String>?, highlevel: JSON?, localiq: JSON?) -> FieldDiff? {
        let h = Set(highlevel?.array?.compactMap(\.string) ?? [])
        let l = Set(localiq?.array?.compactMap(\.string) ?? [])
        var addToHighLevel: Set<String>
        var removeFromHighLevel = Set<String>()
        var localiqResult: Set<String>
        if let base {
            addToHighLevel = l.subtracting(base).subtracting(h)
            removeFromHighLevel = base.subtracting(l).intersection(h)
            localiqResult = l.union(h.subtracting(base)).subtracting(base.subtracting(h))
        } else {
            addToHighLevel = l.subtracting(h)
            localiqResult = l.union(h)
        }
        addToHighLevel.subtract(removeFromHighLevel)
        if h == l {
            if base != h { agreements.append((contact.id, "tags", .array(h.sorted().map(JSON.string)))) }
            return nil
        }
        func list(_ set: Set<String>) -> JSON { .array(set.sorted().map(JSON.string)) }
        for (op, tags, reason) in [(ChangeOperation.add, addToHighLevel, "tags added in LocaliQ"), (.remove, removeFromHighLevel, "tags removed in LocaliQ")]
        where !tags.isEmpty {
            changes.append(
                Change(
                    target: .highlevel, entity: .tags, op: op, key: key, before: ["tags": list(h)], after: ["tags": list(tags)],
                    fields: [FieldDiff(field: "tags", base: base.map(list), highlevel: list(h), localiq: list(l), proposed: list(tags))],
                    reason: reason))
        }
        guard localiqResult != l else { return nil }
        return FieldDiff(field: "tags", base: base.map(list), highlevel: list(h), localiq: list(l), proposed: list(localiqResult))
    }
}
