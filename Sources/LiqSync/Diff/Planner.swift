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
    ///
    /// Every contact and row is matched on keys read through covering indexes; a matched pair
    /// whose digests show both sides and the base equal in every field the row speaks for needs
    /// nothing and is not read. Only the rest (differences, new records, conflicts) are read in
    /// full and diffed field by field.
    public func plan(direction: PlanDirection = .both, imports chosen: [Int64]? = nil, workspace: String, now: Date = Date()) throws -> ChangeSet {
        try planMeasured(direction: direction, imports: chosen, workspace: workspace, now: now).changeSet
    }

    /// How much of the data a plan had to read in full.
    public struct Statistics: Sendable, Equatable {
        /// Staged rows matched to one contact each.
        public var matchedPairs = 0
        /// Of those, the pairs read and diffed field by field (the rest were equal by digest).
        public var pairsDiffed = 0

        public init(matchedPairs: Int = 0, pairsDiffed: Int = 0) {
            self.matchedPairs = matchedPairs
            self.pairsDiffed = pairsDiffed
        }
    }

    /// `plan`, also saying how many matched pairs were diffed in full.
    public func planMeasured(
        direction: PlanDirection = .both, imports chosen: [Int64]? = nil, workspace: String, now: Date = Date()
    ) throws -> (changeSet: ChangeSet, statistics: Statistics) {
        let imports = try database.currentImports().filter { chosen == nil || chosen?.contains($0.id) == true }
        var table = RowTable()
        var inputs: [PlanInput] = []
        var taskRules: [Int64: FollowUpTaskRule] = [:]
        var knownColumns: [Int64: Set<String>] = [:]
        for record in imports {
            let summary = try database.importSummary(id: record.id)
            if let rule = summary?.followUpTask { taskRules[record.id] = rule }
            if summary?.format != "json", let mapped = summary?.mappedFields { knownColumns[record.id] = Set(mapped) }
            try database.rowDigests(importId: record.id, into: &table)
            inputs.append(PlanInput(importId: record.id, file: record.file, sha256: record.sha256, profile: record.profile))
        }
        let known: (Int64, [String: JSON]) -> Set<String> = { importId, fields in knownColumns[importId] ?? Set(fields.keys) }
        let index = try database.contactIndex()
        var context = PlanContext(index: index, links: try database.linkIndex(index), policy: policy, sent: try database.sentToLocaliQ())
        // Rows without digests, or with a HighLevel id column, are read before matching.
        let early = table.rows.filter { $0.digestStart < 0 || $0.flags.contains(.highlevelId) }.map(\.rowId)
        let earlyRows = try database.planRows(rowIds: early, known: known)
        let triage = context.triage(table, knownMasks: knownColumns.mapValues(PlanContext.mask), early: earlyRows)
        let rows = try earlyRows.merging(database.planRows(rowIds: triage.rowsToRead.filter { earlyRows[$0] == nil }, known: known)) { first, _ in first }
        let contacts = try database.planContacts(ids: triage.contactsToRead.map { index.ids[Int($0)] })
        context.base = try database.baseValues(contactIds: triage.pairs.map { index.ids[Int($0.contact)] })
        context.finish(triage, rows: rows, contacts: contacts)
        var activities: [PlanActivity] = []
        for record in imports { activities += try database.planActivities(importId: record.id) }
        context.planNotes(activities: activities, notes: try database.planNotes())
        if !taskRules.isEmpty {
            var ruled: [PlanRow] = []
            for record in imports where taskRules[record.id] != nil {
                ruled += try database.planRows(importId: record.id, knownColumns: knownColumns[record.id])
            }
            context.planTasks(rows: ruled, rules: taskRules, tasks: try database.planTasks(), now: now)
        }
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
            mirrorFingerprint: index.fingerprint, mirrorContacts: index.count, inputs: inputs, policies: policy.summary)
        let set = ChangeSet(header: header, changes: changes)
        try database.recordRun(
            kind: "plan", mode: direction.rawValue, startedAt: now, status: "ok",
            counts: [
                "changes": changes.count, "conflicts": changes.filter { $0.conflict != nil }.count, "matched": triage.matched,
                "diffed": triage.pairs.count,
            ])
        return (set, Statistics(matchedPairs: triage.matched, pairsDiffed: triage.pairs.count))
    }

    /// Orders changes of one record (several notes of a contact) by what they write.
    static func tieBreak(_ change: Change) -> String {
        change.after["activity_id"]?.string ?? change.after["note_id"]?.string ?? change.fields.map(\.field).joined(separator: ",")
    }
}

/// The working state of one plan.
struct PlanContext {
    let index: ContactIndex
    /// LocaliQ id → position of the linked contact in `index`.
    let links: [String: Int32]
    /// The agreed values of the contacts diffed in full.
    var base: [String: [String: JSON]] = [:]
    let policy: SyncPolicy
    /// HighLevel contacts already sent to LocaliQ in an import file, with when.
    let sent: [String: String]
    var changes: [Change] = []
    /// LocaliQ id → the HighLevel contact its row matched.
    var matchedContacts: [String: String] = [:]
    /// LocaliQ ids of rows that become new HighLevel contacts.
    var createdFrom = Set<String>()
    private(set) var agreements: [(contactId: String, field: String, value: JSON?)] = []

    init(index: ContactIndex, links: [String: Int32], policy: SyncPolicy, sent: [String: String] = [:]) {
        self.index = index
        self.links = links
        self.policy = policy
        self.sent = sent
    }

    /// The HighLevel contact a LocaliQ record is linked to.
    func linkedContact(_ localiqId: String) -> String? { links[localiqId].map { index.ids[Int($0)] } }

    /// The bits of `SyncField.all` a set of field names covers.
    static func mask(_ names: Set<String>) -> UInt32 {
        var mask: UInt32 = 0
        for (position, field) in SyncField.all.enumerated() where names.contains(field.name) { mask |= 1 << UInt32(position) }
        return mask
    }

    /// How a row was matched.
    enum Match {
        case contact(Int32)
        case ambiguous([Int32])
        case none
    }

    /// The link table first, then a HighLevel id column, then email, then phone. Two different
    /// contacts by email and phone, or several by one key, are ambiguous: never a guess.
    func match(sourceId: String?, highlevelId: String?, emailKey: String?, phoneKey: String?) -> Match {
        // A link or id naming a contact since deleted in HighLevel does not count: the row is matched afresh.
        if let id = sourceId, let linked = links[id], !index.deleted[Int(linked)] { return .contact(linked) }
        if let id = highlevelId, let position = index.byId[id], !index.deleted[Int(position)] { return .contact(position) }
        let byEmail = index.contacts(email: emailKey)
        let byPhone = index.contacts(phone: phoneKey)
        if byEmail.count > 1 { return .ambiguous(byEmail) }
        if byPhone.count > 1, byEmail.isEmpty { return .ambiguous(byPhone) }
        if let email = byEmail.first {
            if let phone = byPhone.first, phone != email, byPhone.count == 1 {
                // The email says one contact, the phone another.
                return .ambiguous([email, phone])
            }
            return .contact(email)
        }
        if let phone = byPhone.first { return .contact(phone) }
        return .none
    }

    /// What matching found, and which records must be read in full.
    struct Triage {
        /// Rows matched to one contact each.
        var matched = 0
        /// Matched pairs that differ somewhere (or lack digests): row id, contact position.
        var pairs: [(row: Int64, contact: Int32)] = []
        /// Rows no contact matches.
        var unmatched: [Int64] = []
        /// Live contacts no row speaks for, not linked, not sent: new in HighLevel.
        var newInHighLevel: [Int32] = []

        var rowsToRead: [Int64] { pairs.map(\.row) + unmatched }
        var contactsToRead: [Int32] { pairs.map(\.contact) + newInHighLevel }
    }

    /// Matches every row, settles the pairs whose digests agree, records ambiguous matches and
    /// contacts gone from one side, and says what is left to diff in full.
    mutating func triage(_ table: RowTable, knownMasks: [Int64: UInt32], early: [Int64: PlanRow]) -> Triage {
        var triage = Triage()
        var matched: [Int32: [Int]] = [:]
        var seen = [Bool](repeating: false, count: index.count)
        for (position, row) in table.rows.enumerated() {
            let highlevelId = early[row.rowId]?.fields["highlevel_id"]?.string
            switch match(sourceId: row.sourceId, highlevelId: highlevelId, emailKey: row.emailKey, phoneKey: row.phoneKey) {
            case .contact(let contact): matched[contact, default: []].append(position)
            case .ambiguous(let candidates):
                let ids = candidates.map { index.ids[Int($0)] }.sorted()
                changes.append(
                    Change(
                        target: .highlevel, entity: .contact, op: .update, key: RecordKey(localiqId: row.sourceId, email: row.emailKey, phone: row.phoneKey),
                        fields: [], reason: "the LocaliQ row matches \(ids.count) HighLevel contacts", conflict: Conflict(kind: .ambiguousMatch, candidates: ids)))
                candidates.forEach { seen[Int($0)] = true }
            case .none:
                triage.unmatched.append(row.rowId)
            }
        }
        for (contact, positions) in matched {
            seen[Int(contact)] = true
            let id = index.ids[Int(contact)]
            if positions.count > 1 {
                let ids = positions.map { table.rows[$0].sourceId ?? "line \(table.rows[$0].line)" }.sorted()
                changes.append(
                    Change(
                        target: .highlevel, entity: .contact, op: .update,
                        key: RecordKey(highlevelId: id, email: index.emailKeys[Int(contact)], phone: index.phoneKeys[Int(contact)]),
                        reason: "\(positions.count) LocaliQ rows match this HighLevel contact", conflict: Conflict(kind: .ambiguousMatch, candidates: ids)))
                continue
            }
            let row = table.rows[positions[0]]
            triage.matched += 1
            if let sourceId = row.sourceId { matchedContacts[sourceId] = id }
            if !quiet(row, table: table, contact: Int(contact), known: knownMasks[row.importId] ?? row.present) {
                triage.pairs.append((row.rowId, contact))
            }
        }
        // HighLevel contacts no LocaliQ row speaks for.
        var linked = [Bool](repeating: false, count: index.count)
        for position in links.values { linked[Int(position)] = true }
        for contact in 0..<index.count where !seen[contact] {
            let id = index.ids[contact]
            let key = RecordKey(highlevelId: id, email: index.emailKeys[contact], phone: index.phoneKeys[contact])
            if index.deleted[contact] {
                guard linked[contact] else { continue }
                changes.append(
                    Change(
                        target: .localiq, entity: .contact, op: policy.propagateDeletes ? .delete : .report, key: key,
                        reason: "deleted in HighLevel" + (policy.propagateDeletes ? "" : "; kept in LocaliQ (propagate_deletes is off)")))
            } else if let when = sent[id] {
                changes.append(
                    Change(
                        target: .localiq, entity: .contact, op: .report, key: key,
                        reason: "sent to LocaliQ in an import file on \(when.prefix(10)); waiting for it to appear in a LocaliQ export"))
            } else if linked[contact] {
                changes.append(Change(target: .localiq, entity: .contact, op: .report, key: key, reason: "linked, but missing from the LocaliQ export"))
            } else {
                triage.newInHighLevel.append(Int32(contact))
            }
        }
        return triage
    }

    /// Whether a matched pair needs nothing: not archived, and in every field the row speaks for,
    /// HighLevel, LocaliQ and the base hold the same compared value.
    func quiet(_ row: RowKeys, table: RowTable, contact: Int, known: UInt32) -> Bool {
        guard row.digestStart >= 0, !row.flags.contains(.archived), index.hasDigests[contact] else { return false }
        let count = SyncDigest.fieldCount
        let start = contact * count
        for field in 0..<count where known & (1 << UInt32(field)) != 0 {
            let highlevel = index.digests[start + field]
            guard table.digests[row.digestStart + field] == highlevel, index.baseDigests[start + field] == highlevel else { return false }
        }
        return true
    }

    /// Diffs the pairs that differ, and plans the records new on either side.
    mutating func finish(_ triage: Triage, rows: [Int64: PlanRow], contacts: [String: PlanContact]) {
        for pair in triage.pairs {
            guard let row = rows[pair.row], let contact = contacts[index.ids[Int(pair.contact)]] else { continue }
            diff(contact: contact, row: row)
        }
        for rowId in triage.unmatched {
            guard let row = rows[rowId] else { continue }
            planNew(row)
        }
        for position in triage.newInHighLevel {
            guard let contact = contacts[index.ids[Int(position)]] else { continue }
            changes.append(
                Change(
                    target: .localiq, entity: .contact, op: .create, key: RecordKey(highlevelId: contact.id, email: contact.emailKey, phone: contact.phoneKey),
                    after: comparableValues(contact.values), reason: "new in HighLevel"))
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
