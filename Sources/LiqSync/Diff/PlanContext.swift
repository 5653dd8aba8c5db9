import Foundation
import Synchronization

/// The working state of one plan.
struct PlanContext {
    let index: ContactIndex
    /// LocaliQ id → position of the linked contact in `index`.
    let links: [String: Int32]
    /// The agreed values of the contacts diffed in full.
    var base: [String: [String: JSON]] = [:]
    /// Pairs whose base the incremental plan knows equal, in every compared field, to one side's
    /// values (that side has not changed since the pair was last in step): contact position →
    /// that side. Their base is not read.
    var baseSides: [Int32: ChangeTarget] = [:]
    let policy: SyncPolicy
    /// HighLevel contacts already sent to LocaliQ in an import file, with when.
    let sent: [String: String]
    var changes = PlanChanges()
    /// LocaliQ id and the position of the contact its row matched, for every one-to-one match.
    var matchedPairs: [(sourceId: String, contact: Int32)] = []
    /// LocaliQ id → the HighLevel contact its row matched (`indexMatches`).
    var matchedContacts: [String: String] = [:]
    /// LocaliQ ids of rows that become new HighLevel contacts.
    var createdFrom = Set<String>()
    /// Values both sides hold that are not the base yet, to be recorded as agreed.
    var agreements: [(contactId: String, field: String, value: JSON?)] = []

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
    /// `byEmail` and `byPhone` are what the row's keys find (looked up in bulk beforehand).
    func match(sourceId: String?, highlevelId: String?, byEmail: ContactIndex.Hit, byPhone: ContactIndex.Hit) -> Match {
        // A link or id naming a contact since deleted in HighLevel does not count: the row is matched afresh.
        // (Most plans have no links: then no row's id is hashed to look for one.)
        if !links.isEmpty, let id = sourceId, let linked = links[id], !index.deleted[Int(linked)] { return .contact(linked) }
        if let id = highlevelId, let position = index.position(id: id), !index.deleted[Int(position)] { return .contact(position) }
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
        /// What each row (in the table's order) matched, for the plan state: a contact
        /// position, `-1` none, `-2` several; whether the pair is quiet; whether its contact
        /// has this row only; and the keys whose lookup found other than the matched contact.
        var rowContact: [Int32] = []
        var rowQuiet: [Bool] = []
        var rowOneToOne: [Bool] = []
        var watches: [(key: KeyHash, row: Int)] = []
        /// Contacts no row speaks for (positions), whatever is planned for them.
        var unseen: [Int32] = []
        var candidates: [Int: [Int32]] = [:]

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
            /// `agreed`: no link, but a base — it was paired with a LocaliQ record before.
            case deleted, sent(String), linked, agreed, new
        }
    }

    /// Matches every row, settles the pairs whose digests agree, and says what is left to read
    /// and diff in full.
    mutating func triage(_ table: RowTable) -> Triage {
        var triage = Triage()
        // Per contact: the position of the one row matching it, `none`, or `several` (listed in `several`).
        let none: Int32 = -1
        let several: Int32 = -2
        var rowOf = [Int32](repeating: none, count: index.count)
        var severalRows: [Int32: [Int]] = [:]
        var seen = [Bool](repeating: false, count: index.count)
        // Every row's keys looked up first, in the tables' cache-friendly order.
        let emailValues = index.emailValues(count: table.rows.count) { table.rows[$0].emailKey }
        let phoneValues = index.phoneValues(count: table.rows.count) { table.rows[$0].phoneKey }
        // Each row matched (and, when it matches one contact, whether the pair is quiet) on every
        // core; then, in row order, which contacts one row and which several rows match.
        let matches = matchRows(table, emailValues: emailValues, phoneValues: phoneValues)
        for position in table.rows.indices {
            let contact = matches.contact[position]
            if contact >= 0 {
                let slot = Int(contact)
                switch rowOf[slot] {
                case none: rowOf[slot] = Int32(position)
                case several: severalRows[contact, default: []].append(position)
                default:
                    severalRows[contact] = [Int(rowOf[slot]), position]
                    rowOf[slot] = several
                }
            } else if let candidates = matches.ambiguous[position] {
                triage.work.append(.ambiguous(row: table.rows[position].rowId, candidates: candidates))
                candidates.forEach { seen[Int($0)] = true }
            } else {
                triage.work.append(.unmatched(row: table.rows[position].rowId))
            }
        }
        let quietRow = matches.quiet
        triage.rowContact = matches.contact
        triage.rowQuiet = quietRow
        triage.candidates = matches.ambiguous
        for (position, _) in matches.ambiguous { triage.rowContact[position] = -2 }
        triage.rowOneToOne = table.rows.indices.map { matches.contact[$0] >= 0 && rowOf[Int(matches.contact[$0])] != several }
        for position in table.rows.indices where matches.contact[position] >= 0 {
            let row = table.rows[position]
            let contact = matches.contact[position]
            if let key = row.emailKey, index.hit(email: emailValues[position], key: key) != .one(contact) { triage.watches.append((key, position)) }
            if let key = row.phoneKey, index.hit(phone: phoneValues[position], key: key) != .one(contact) { triage.watches.append((key, position)) }
            if let id = row.highlevelId { triage.watches.append((PlanState.idKey(id), position)) }
        }
        // Rows matched one to one, by row position (-1 for none).
        var pairedWith = [Int32](repeating: -1, count: table.rows.count)
        for contact in 0..<index.count where rowOf[contact] != none {
            seen[contact] = true
            if rowOf[contact] == several {
                let rows = (severalRows[Int32(contact)] ?? []).map { table.rows[$0].sourceId ?? "line \(table.rows[$0].line)" }.sorted()
                triage.work.append(.shared(contact: Int32(contact), rows: rows))
                continue
            }
            let position = Int(rowOf[contact])
            triage.matched += 1
            pairedWith[position] = Int32(contact)
            if !quietRow[position] {
                triage.work.append(.pair(row: table.rows[position].rowId, contact: Int32(contact)))
            }
        }
        matchedPairs.reserveCapacity(triage.matched)
        for position in table.rows.indices where pairedWith[position] >= 0 {
            if let sourceId = table.rows[position].sourceId { matchedPairs.append((sourceId, pairedWith[position])) }
        }
        // HighLevel contacts no LocaliQ row speaks for.
        var linked = [Bool](repeating: false, count: index.count)
        for position in links.values { linked[Int(position)] = true }
        for contact in 0..<index.count where !seen[contact] {
            triage.unseen.append(Int32(contact))
            if index.deleted[contact] {
                if linked[contact] { triage.work.append(.unseen(contact: Int32(contact), state: .deleted)) }
            } else if !sent.isEmpty, let when = sent[index.ids[contact]] {
                triage.work.append(.unseen(contact: Int32(contact), state: .sent(when)))
            } else {
                triage.work.append(.unseen(contact: Int32(contact), state: linked[contact] ? .linked : .new))
            }
        }
        return triage
    }

    /// What each row matched: a contact's position (or -1), the candidates of ambiguous rows, and
    /// whether a row matching one contact is quiet with it.
    struct RowMatches: Sendable {
        var contact: [Int32] = []
        var quiet: [Bool] = []
        var ambiguous: [Int: [Int32]] = [:]
    }

    /// Matches every row, in parts side by side (the lookups and quiet checks are scattered
    /// reads, the slowest step of matching a million rows).
    func matchRows(_ table: RowTable, emailValues: [Int32], phoneValues: [Int32]) -> RowMatches {
        let count = table.rows.count
        let parts = count < 4_096 ? 1 : max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4))
        let size = (count + parts - 1) / parts
        let done = Mutex<[Int: RowMatches]>([:])
        let context = self
        sideBySide(parts) { part in
            var result = RowMatches()
            let range = min(part * size, count)..<min(part * size + size, count)
            result.contact.reserveCapacity(range.count)
            result.quiet.reserveCapacity(range.count)
            for position in range {
                let row = table.rows[position]
                let found = context.match(
                    sourceId: row.sourceId, highlevelId: row.highlevelId,
                    byEmail: context.index.hit(email: emailValues[position], key: row.emailKey),
                    byPhone: context.index.hit(phone: phoneValues[position], key: row.phoneKey))
                switch found {
                case .contact(let contact):
                    result.contact.append(contact)
                    result.quiet.append(context.quiet(row, contact: Int(contact)))
                case .ambiguous(let candidates):
                    result.contact.append(-1)
                    result.quiet.append(false)
                    result.ambiguous[position] = candidates
                case .none:
                    result.contact.append(-1)
                    result.quiet.append(false)
                }
            }
            done.withLock { [result] in $0[part] = result }
        }
        let results = done.withLock { $0 }
        var matches = RowMatches()
        matches.contact.reserveCapacity(count)
        matches.quiet.reserveCapacity(count)
        for part in 0..<parts {
            guard let result = results[part] else { continue }
            matches.contact += result.contact
            matches.quiet += result.quiet
            matches.ambiguous.merge(result.ambiguous) { first, _ in first }
        }
        return matches
    }

    /// Whether a matched pair needs nothing: not archived, and in every field the row speaks for,
    /// HighLevel, LocaliQ and the base hold the same compared value.
    func quiet(_ row: RowKeys, contact: Int) -> Bool {
        guard index.hasDigests[contact] else { return false }
        let start = contact * index.width
        return Self.quiet(row, mask: index.mask, digests: { index.digests[start + $0] }, base: { index.baseDigests[start + $0] })
    }

    /// `quiet` over one contact's stored digests and base digests (`width` of each: folded over
    /// `mask`, or one per field), however they were read.
    static func quiet(_ row: RowKeys, mask: UInt32?, digests: (Int) -> UInt64, base: (Int) -> UInt64) -> Bool {
        guard let combined = row.combined, !row.flags.contains(.archived) else { return false }
        if let mask {
            // Digests already folded over the one set of fields every row speaks for.
            let highlevel = digests(0)
            return row.known == mask && combined == highlevel && base(0) == highlevel
        }
        var highlevel = SyncDigest.Combined()
        var agreed = SyncDigest.Combined()
        for field in 0..<SyncDigest.fieldCount where row.known & (1 << UInt32(field)) != 0 {
            highlevel.add(digests(field))
            agreed.add(base(field))
        }
        return combined == highlevel.value && agreed.value == highlevel.value
    }

    /// LocaliQ id → matched contact id, for the activities (built only when a plan has any).
    mutating func indexMatches() {
        matchedContacts.reserveCapacity(matchedPairs.count)
        for (sourceId, contact) in matchedPairs { matchedContacts[sourceId] = index.ids[Int(contact)] }
    }

    /// Diffs the pairs that differ, plans the records new on either side, and reports matches
    /// that are not one to one — for one batch of the triage's work, its records read.
    /// `contacts` by rowid.
    mutating func finish(_ batch: ArraySlice<Triage.Work>, rows: [Int64: PlanRow], contacts: [Int64: PlanContact]) {
        func contactAt(_ position: Int32) -> PlanContact? { contacts[index.rowids[Int(position)]] }
        func contactKey(_ position: Int32) -> RecordKey {
            let read = contactAt(position)
            return RecordKey(highlevelId: index.ids[Int(position)], email: read?.emailKey, phone: read?.phoneKey)
        }
        for item in batch {
            switch item {
            case .pair(let rowId, let position):
                guard let row = rows[rowId], let contact = contactAt(position) else { continue }
                diff(contact: contact, row: row, baseSide: baseSides[position])
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
                case .agreed:
                    changes.append(
                        Change(
                            target: .localiq, entity: .contact, op: .report, key: key,
                            reason: "missing from the LocaliQ export, though it was in step with a LocaliQ record before; not written to LocaliQ again"))
                case .new:
                    guard let contact = contactAt(position) else { continue }
                    changes.append(
                        Change(target: .localiq, entity: .contact, op: .create, key: key, after: comparableValues(contact.values), reason: "new in HighLevel"))
                }
            }
        }
    }

    /// `finish` over a batch in parts side by side, each core taking the next part not yet taken
    /// (pairs cost several times what a report line costs, so halves fixed in advance finished
    /// apart): items are independent, and the parts' changes, agreements and creations are
    /// appended in the batch's order.
    mutating func finishSideBySide(_ batch: ArraySlice<Triage.Work>, rows: [Int64: PlanRow], contacts: [Int64: PlanContact]) throws {
        guard batch.count >= 512, ProcessInfo.processInfo.activeProcessorCount > 1 else { return finish(batch, rows: rows, contacts: contacts) }
        let size = max(256, batch.count / 16)
        let count = (batch.count + size - 1) / size
        var helper = self
        helper.changes = PlanChanges()
        helper.agreements = []
        helper.createdFrom = []
        let done = Mutex<[Int: PlanContext]>([:])
        sideBySide(count) { [helper] part in
            var context = helper
            let lower = batch.startIndex + part * size
            context.finish(batch[lower..<min(lower + size, batch.endIndex)], rows: rows, contacts: contacts)
            done.withLock { $0[part] = context }
        }
        let parts = done.withLock { $0 }
        for part in 0..<count {
            // Every part ran: sideBySide returns once all have.
            guard let context = parts[part] else { throw CancellationError() }
            changes += context.changes
            agreements += context.agreements
            createdFrom.formUnion(context.createdFrom)
        }
    }

    /// The agreements found so far, handed over to be recorded.
    mutating func takeAgreements() -> [(contactId: String, field: String, value: JSON?)] {
        defer { agreements.removeAll() }
        return agreements
    }
}
