import Foundation
import Synchronization

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
        var phases = PhaseTimer()
        let imports = try database.currentImports().filter { chosen == nil || chosen?.contains($0.id) == true }
        var inputs: [PlanInput] = []
        var taskRules: [Int64: FollowUpTaskRule] = [:]
        var knownColumns: [Int64: Set<String>] = [:]
        for record in imports {
            let summary = try database.importSummary(id: record.id)
            if let rule = summary?.followUpTask { taskRules[record.id] = rule }
            if summary?.format != "json", let mapped = summary?.mappedFields { knownColumns[record.id] = Set(mapped) }
            inputs.append(PlanInput(importId: record.id, file: record.file, sha256: record.sha256, profile: record.profile))
        }
        let known: (Int64, [String: JSON]) -> Set<String> = { importId, fields in knownColumns[importId] ?? Set(fields.keys) }
        // The contacts' and the rows' keys and digests, read side by side.
        // When every import is a CSV with the same mapped fields, each record's digests are
        // folded into one over those fields; otherwise (JSON rows speak for the attributes they
        // hold) they are compared field by field.
        let masks = Set(imports.map { knownColumns[$0.id].map(SyncDigest.mask) })
        let mask = masks.count == 1 ? masks.first ?? nil : nil
        var (index, table) = try Self.loadIndexes(database, imports: imports.map(\.id), mask: mask)
        phases.mark("keys and digests")
        let links = try database.linkIndex(&index)
        // Rows without a digest record, or with a HighLevel id column, are read before matching.
        let early = table.rows.filter { $0.combined == nil || $0.flags.contains(.highlevelId) }.map(\.rowId)
        let earlyRows = try database.planRows(rowIds: early, known: known)
        for position in table.rows.indices where table.rows[position].combined == nil {
            guard let row = earlyRows[table.rows[position].rowId] else { continue }
            table.rows[position].emailKey = row.emailKey.map { KeyHash($0) }
            table.rows[position].phoneKey = row.phoneKey.map { KeyHash($0) }
        }
        if earlyRows.values.contains(where: { $0.fields["highlevel_id"] != nil }) { index.indexIds() }
        var context = PlanContext(index: index, links: links, policy: policy, sent: try database.sentToLocaliQ())
        phases.mark("links and early rows")
        let triage = context.triage(table, early: earlyRows)
        phases.mark("matching")
        // The records left to diff are read and diffed a batch at a time, and what both sides
        // agree on is recorded per batch: memory stays bounded even on a first sync, when every
        // pair is read.
        var diffed = 0
        for start in stride(from: 0, to: triage.work.count, by: Self.batchSize) {
            let batch = triage.work[start..<min(start + Self.batchSize, triage.work.count)]
            let rows = try earlyRows.merging(database.planRows(rowIds: batch.compactMap(\.rowId).filter { earlyRows[$0] == nil }, known: known)) { first, _ in first }
            let contacts = try database.planContacts(ids: batch.compactMap(\.contact).map { index.ids[Int($0)] })
            context.base = try database.baseValues(contactIds: batch.compactMap(\.pairContact).map { index.ids[Int($0)] })
            diffed += batch.filter { $0.pairContact != nil }.count
            context.finish(batch, rows: rows, contacts: contacts)
            try database.recordAgreements(context.takeAgreements())
        }
        phases.mark("reading and diffing \(diffed) pairs, \(triage.work.count - diffed) other records")
        var activities: [PlanActivity] = []
        for record in imports { activities += try database.planActivities(importId: record.id) }
        if !activities.isEmpty || !taskRules.isEmpty { context.indexMatches() }
        context.planNotes(activities: activities, notes: try database.planNotes())
        if !taskRules.isEmpty {
            var ruled: [PlanRow] = []
            for record in imports where taskRules[record.id] != nil {
                ruled += try database.planRows(importId: record.id, knownColumns: knownColumns[record.id])
            }
            context.planTasks(rows: ruled, rules: taskRules, tasks: try database.planTasks(), now: now)
        }
        phases.mark("notes and tasks")
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
        phases.mark("sorting")
        try database.recordRun(
            kind: "plan", mode: direction.rawValue, startedAt: now, status: "ok",
            counts: [
                "changes": changes.count, "conflicts": changes.filter { $0.conflict != nil }.count, "matched": triage.matched, "diffed": diffed,
            ])
        return (set, Statistics(matchedPairs: triage.matched, pairsDiffed: diffed))
    }

    /// Records read and diffed in full at a time.
    static let batchSize = 5_000

    /// Reads the contact index and the rows' keys and digests on two threads.
    static func loadIndexes(_ database: MirrorDatabase, imports: [Int64], mask: UInt32?) throws -> (ContactIndex, RowTable) {
        let loaded = Mutex<(index: ContactIndex?, table: RowTable?, error: (any Error)?)>((nil, nil, nil))
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            do {
                if part == 0 {
                    let index = try database.contactIndex(mask: mask)
                    loaded.withLock { $0.index = index }
                } else {
                    var table = RowTable()
                    for id in imports { try database.rowDigests(importId: id, into: &table) }
                    loaded.withLock { [table] in $0.table = table }
                }
            } catch {
                loaded.withLock { $0.error = error }
            }
        }
        let result = loaded.withLock { $0 }
        if let error = result.error { throw error }
        return (result.index ?? ContactIndex(), result.table ?? RowTable())
    }

    /// Orders changes of one record (several notes of a contact) by what they write.
    static func tieBreak(_ change: Change) -> String {
        change.after["activity_id"]?.string ?? change.after["note_id"]?.string ?? change.fields.map(\.field).joined(separator: ",")
    }
}

/// Per-phase timings of a plan on standard error when `LIQSYNC_PROFILE_PLAN=1`.
struct PhaseTimer {
    private let enabled = ProcessInfo.processInfo.environment["LIQSYNC_PROFILE_PLAN"] == "1"
    private var last = ContinuousClock.now

    mutating func mark(_ phase: String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        FileHandle.standardError.write(Data("plan: \(phase) \(now - last)\n".utf8))
        last = now
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
    /// LocaliQ id and the position of the contact its row matched, for every one-to-one match.
    var matchedPairs: [(sourceId: String, contact: Int32)] = []
    /// LocaliQ id → the HighLevel contact its row matched (`indexMatches`).
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

    /// How a row was matched.
    enum Match {
        case contact(Int32)
        case ambiguous([Int32])
        case none
    }

    /// The link table first, then a HighLevel id column, then email, then phone. Two different
    /// contacts by email and phone, or several by one key, are ambiguous: never a guess.
    func match(sourceId: String?, highlevelId: String?, emailKey: KeyHash?, phoneKey: KeyHash?) -> Match {
        // A link or id naming a contact since deleted in HighLevel does not count: the row is matched afresh.
        if let id = sourceId, let linked = links[id], !index.deleted[Int(linked)] { return .contact(linked) }
        if let id = highlevelId, let position = index.position(id: id), !index.deleted[Int(position)] { return .contact(position) }
        let byEmail = index.contacts(email: emailKey)
        let byPhone = index.contacts(phone: phoneKey)
        switch (byEmail, byPhone) {
        case (.several(let candidates), _), (.none, .several(let candidates)): return .ambiguous(candidates)
        // The email says one contact, the phone another.
        case (.one(let email), .one(let phone)) where phone != email: return .ambiguous([email, phone])
        case (.one(let email), _): return .contact(email)
        case (.none, .one(let phone)): return .contact(phone)
        case (.none, .none): return .none
        }
    }

    /// What matching found: the records that must be read in full, and why.
    struct Triage {
        /// Rows matched to one contact each.
        var matched = 0
        var work: [Work] = []

        enum Work {
            /// A matched pair that differs somewhere (or lacks digests).
            case pair(row: Int64, contact: Int32)
            /// A row no contact matches.
            case unmatched(row: Int64)
            /// A row that matches several contacts.
            case ambiguous(row: Int64, candidates: [Int32])
            /// A contact several rows match, with those rows' LocaliQ ids (or lines).
            case shared(contact: Int32, rows: [String])
            /// A live or linked contact no row speaks for.
            case unseen(contact: Int32, state: Unseen)

            var rowId: Int64? {
                switch self {
                case .pair(let row, _), .unmatched(let row), .ambiguous(let row, _): row
                case .shared, .unseen: nil
                }
            }

            var contact: Int32? {
                switch self {
                case .pair(_, let contact), .shared(let contact, _), .unseen(let contact, _): contact
                case .unmatched, .ambiguous: nil
                }
            }

            var pairContact: Int32? {
                if case .pair(_, let contact) = self { return contact }
                return nil
            }
        }

        enum Unseen {
            case deleted, sent(String), linked, new
        }
    }

    /// Matches every row, settles the pairs whose digests agree, and says what is left to read
    /// and diff in full.
    mutating func triage(_ table: RowTable, early: [Int64: PlanRow]) -> Triage {
        var triage = Triage()
        // Per contact: the position of the one row matching it, `none`, or `several` (listed in `several`).
        let none: Int32 = -1
        let several: Int32 = -2
        var rowOf = [Int32](repeating: none, count: index.count)
        var severalRows: [Int32: [Int]] = [:]
        var seen = [Bool](repeating: false, count: index.count)
        for position in table.rows.indices {
            let highlevelId = early.isEmpty ? nil : early[table.rows[position].rowId]?.fields["highlevel_id"]?.string
            let found = match(
                sourceId: table.rows[position].sourceId, highlevelId: highlevelId, emailKey: table.rows[position].emailKey,
                phoneKey: table.rows[position].phoneKey)
            switch found {
            case .contact(let contact):
                let slot = Int(contact)
                switch rowOf[slot] {
                case none: rowOf[slot] = Int32(position)
                case several: severalRows[contact, default: []].append(position)
                default:
                    severalRows[contact] = [Int(rowOf[slot]), position]
                    rowOf[slot] = several
                }
            case .ambiguous(let candidates):
                triage.work.append(.ambiguous(row: table.rows[position].rowId, candidates: candidates))
                candidates.forEach { seen[Int($0)] = true }
            case .none:
                triage.work.append(.unmatched(row: table.rows[position].rowId))
            }
        }
        for contact in 0..<index.count where rowOf[contact] != none {
            seen[contact] = true
            if rowOf[contact] == several {
                let rows = (severalRows[Int32(contact)] ?? []).map { table.rows[$0].sourceId ?? "line \(table.rows[$0].line)" }.sorted()
                triage.work.append(.shared(contact: Int32(contact), rows: rows))
                continue
            }
            let row = table.rows[Int(rowOf[contact])]
            triage.matched += 1
            if let sourceId = row.sourceId { matchedPairs.append((sourceId, Int32(contact))) }
            if !quiet(row, contact: contact) {
                triage.work.append(.pair(row: row.rowId, contact: Int32(contact)))
            }
        }
        // HighLevel contacts no LocaliQ row speaks for.
        var linked = [Bool](repeating: false, count: index.count)
        for position in links.values { linked[Int(position)] = true }
        for contact in 0..<index.count where !seen[contact] {
            if index.deleted[contact] {
                if linked[contact] { triage.work.append(.unseen(contact: Int32(contact), state: .deleted)) }
            } else if let when = sent[index.ids[contact]] {
                triage.work.append(.unseen(contact: Int32(contact), state: .sent(when)))
            } else {
                triage.work.append(.unseen(contact: Int32(contact), state: linked[contact] ? .linked : .new))
            }
        }
        return triage
    }

    /// Whether a matched pair needs nothing: not archived, and in every field the row speaks for,
    /// HighLevel, LocaliQ and the base hold the same compared value.
    func quiet(_ row: RowKeys, contact: Int) -> Bool {
        guard let combined = row.combined, !row.flags.contains(.archived), index.hasDigests[contact] else { return false }
        if let mask = index.mask {
            // Digests already folded over the one set of fields every row speaks for.
            let highlevel = index.digests[contact]
            return row.known == mask && combined == highlevel && index.baseDigests[contact] == highlevel
        }
        let count = SyncDigest.fieldCount
        let start = contact * count
        var highlevel = SyncDigest.Combined()
        var base = SyncDigest.Combined()
        for field in 0..<count where row.known & (1 << UInt32(field)) != 0 {
            highlevel.add(index.digests[start + field])
            base.add(index.baseDigests[start + field])
        }
        return combined == highlevel.value && base.value == highlevel.value
    }

    /// LocaliQ id → matched contact id, for the activities (built only when a plan has any).
    mutating func indexMatches() {
        matchedContacts.reserveCapacity(matchedPairs.count)
        for (sourceId, contact) in matchedPairs { matchedContacts[sourceId] = index.ids[Int(contact)] }
    }

    /// Diffs the pairs that differ, plans the records new on either side, and reports matches
    /// that are not one to one — for one batch of the triage's work, its records read.
    mutating func finish(_ batch: ArraySlice<Triage.Work>, rows: [Int64: PlanRow], contacts: [String: PlanContact]) {
        func contactKey(_ position: Int32) -> RecordKey {
            let id = index.ids[Int(position)]
            return RecordKey(highlevelId: id, email: contacts[id]?.emailKey, phone: contacts[id]?.phoneKey)
        }
        for item in batch {
            switch item {
            case .pair(let rowId, let position):
                guard let row = rows[rowId], let contact = contacts[index.ids[Int(position)]] else { continue }
                diff(contact: contact, row: row)
            case .unmatched(let rowId):
                guard let row = rows[rowId] else { continue }
                planNew(row)
            case .ambiguous(let rowId, let candidates):
                guard let row = rows[rowId] else { continue }
                let ids = candidates.map { index.ids[Int($0)] }.sorted()
                changes.append(
                    Change(
                        target: .highlevel, entity: .contact, op: .update, key: key(row), fields: [],
                        reason: "the LocaliQ row matches \(ids.count) HighLevel contacts", conflict: Conflict(kind: .ambiguousMatch, candidates: ids)))
            case .shared(let position, let sourceIds):
                changes.append(
                    Change(
                        target: .highlevel, entity: .contact, op: .update, key: contactKey(position),
                        reason: "\(sourceIds.count) LocaliQ rows match this HighLevel contact", conflict: Conflict(kind: .ambiguousMatch, candidates: sourceIds)))
            case .unseen(let position, let state):
                let key = contactKey(position)
                switch state {
                case .deleted:
                    changes.append(
                        Change(
                            target: .localiq, entity: .contact, op: policy.propagateDeletes ? .delete : .report, key: key,
                            reason: "deleted in HighLevel" + (policy.propagateDeletes ? "" : "; kept in LocaliQ (propagate_deletes is off)")))
                case .sent(let when):
                    changes.append(
                        Change(
                            target: .localiq, entity: .contact, op: .report, key: key,
                            reason: "sent to LocaliQ in an import file on \(when.prefix(10)); waiting for it to appear in a LocaliQ export"))
                case .linked:
                    changes.append(Change(target: .localiq, entity: .contact, op: .report, key: key, reason: "linked, but missing from the LocaliQ export"))
                case .new:
                    guard let contact = contacts[index.ids[Int(position)]] else { continue }
                    changes.append(
                        Change(target: .localiq, entity: .contact, op: .create, key: key, after: comparableValues(contact.values), reason: "new in HighLevel"))
                }
            }
        }
    }

    /// The agreements found so far, handed over to be recorded.
    mutating func takeAgreements() -> [(contactId: String, field: String, value: JSON?)] {
        defer { agreements.removeAll() }
        return agreements
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
