import Foundation
import GRDB
import GRDBSQLite

/// Matching redone only where something changed since the last plan's state: the rows new or
/// changed in the import, the contacts changed in the mirror or in the base, and whatever shares
/// a key with them (docs/internals/incremental-plan.md). The result is what the full triage
/// would find, over a contact index holding just the contacts the work names.
struct IncrementalTriage {
    var index: ContactIndex
    var links: [String: Int32]
    var triage: PlanContext.Triage
    var state: PlanState

    /// A contact as the incremental triage reads it.
    struct Facts {
        var id: String
        var emailKey: String?
        var phoneKey: String?
        var updated: String?
        var deletedAt: String?
        /// The stored digests, folded like the full plan's (nil: none stored).
        var digests: [UInt64]?
        var deleted: Bool { deletedAt != nil }
    }

    /// nil when the change since `state` is too large or of a kind this cannot follow (the
    /// caller plans in full).
    static func run(
        _ database: MirrorDatabase, state: PlanState, mask: UInt32?, table: RowTable, sent: [String: String]
    ) throws -> IncrementalTriage? {
        guard state.mask == mask else { return nil }
        let limit = max(1_000, table.rows.count / 10)
        guard
            let logs = try database.writer.read({ db -> (contacts: [Int64: MirrorDatabase.ContactBefore?], base: Set<String>)? in
                guard !(try MirrorDatabase.linksChanged(after: state.positions.links, in: db)),
                    let contacts = try MirrorDatabase.contactChanges(after: state.positions.contacts, limit: limit, in: db),
                    let base = try MirrorDatabase.baseChanges(after: state.positions.base, limit: limit, in: db)
                else { return nil }
                return (contacts, base)
            })
        else { return nil }

        // 1. The import's rows, followed from the state by content hash.
        var oldByHash: [UInt64: Int] = [:]
        oldByHash.reserveCapacity(state.rows.count)
        for (position, row) in state.rows.enumerated() { oldByHash[row.hash] = oldByHash[row.hash] == nil ? position : -1 }
        let hashes = table.rows.map(\.contentHash)
        var newCount: [UInt64: Int] = [:]
        newCount.reserveCapacity(hashes.count)
        for hash in hashes { newCount[hash, default: 0] += 1 }
        var inherited = [Int](repeating: -1, count: hashes.count)
        var dirty = [Bool](repeating: true, count: hashes.count)
        var usedOld = [Bool](repeating: false, count: state.rows.count)
        for (position, hash) in hashes.enumerated() where newCount[hash] == 1 {
            guard let old = oldByHash[hash], old >= 0 else { continue }
            inherited[position] = old
            usedOld[old] = true
            // A HighLevel id column's value is not in the digest record: such rows are matched again.
            dirty[position] = state.rows[old].contact < 0 || table.rows[position].flags.contains(.highlevelId)
        }
        if dirty.count(where: { $0 }) > limit { return nil }
        var touched = Set<Int64>()
        for (position, row) in state.rows.enumerated() where !usedOld[position] && row.contact >= 0 { touched.insert(row.contact) }
        for candidates in state.candidates.values { touched.formUnion(candidates) }

        // 2. Contacts changed in the mirror or in the base; the keys they held or hold.
        var fingerprint = state.fingerprint
        let changed = try database.incrementalFacts(rowids: Array(logs.contacts.keys), mask: mask)
        var dirtyContacts = Set(logs.contacts.keys)
        var emailKeys = Set<String>()
        var phoneKeys = Set<String>()
        var ids = Set<String>()
        for (rowid, before) in logs.contacts {
            if let before {
                fingerprint.remove(id: before.id, updated: before.updated, deleted: before.deleted)
                if let key = before.emailKey { emailKeys.insert(key) }
                if let key = before.phoneKey { phoneKeys.insert(key) }
                ids.insert(before.id)
            }
            if let now = changed[rowid] {
                fingerprint.add(id: now.id, updated: now.updated, deleted: now.deletedAt)
                if let key = now.emailKey { emailKeys.insert(key) }
                if let key = now.phoneKey { phoneKeys.insert(key) }
                ids.insert(now.id)
            }
        }
        dirtyContacts.formUnion(try database.contactRowids(ids: Array(logs.base)).values)
        // 3. Whoever holds a key that moved, and the rows watching one.
        let holders = try database.liveHolders(emails: Array(emailKeys), phones: Array(phoneKeys), ids: Array(ids))
        for list in holders.email.values { dirtyContacts.formUnion(list) }
        for list in holders.phone.values { dirtyContacts.formUnion(list) }
        dirtyContacts.formUnion(holders.id.values)
        var movedKeys = Set<KeyHash>()
        for key in emailKeys { movedKeys.insert(KeyHash(key)) }
        for key in phoneKeys { movedKeys.insert(KeyHash(key)) }
        for id in ids { movedKeys.insert(PlanState.idKey(id)) }
        var watchedHashes = Set<UInt64>()
        for watch in state.watches where movedKeys.contains(watch.key) { watchedHashes.insert(watch.row) }
        for position in hashes.indices where !dirty[position] {
            let old = state.rows[inherited[position]]
            if dirtyContacts.contains(old.contact) || watchedHashes.contains(hashes[position]) { dirty[position] = true }
        }
        touched.formUnion(dirtyContacts)
        for position in hashes.indices where dirty[position] && inherited[position] >= 0 && state.rows[inherited[position]].contact >= 0 {
            touched.insert(state.rows[inherited[position]].contact)
        }
        let dirtyPositions = hashes.indices.filter { dirty[$0] }
        if dirtyPositions.count > limit { return nil }

        // 4. The dirty rows matched again from their keys.
        let keys = try database.rowMatchKeys(rowIds: dirtyPositions.map { table.rows[$0].rowId })
        var rows = table.rows
        for position in dirtyPositions {
            rows[position].highlevelId = keys[rows[position].rowId]?.highlevelId
        }
        let rowHolders = try database.liveHolders(
            emails: dirtyPositions.compactMap { keys[table.rows[$0].rowId]?.emailKey }, phones: dirtyPositions.compactMap { keys[table.rows[$0].rowId]?.phoneKey },
            ids: dirtyPositions.compactMap { rows[$0].highlevelId })
        let links = try database.linkedRowids()
        var newContact: [Int: Int64] = [:]
        var newCandidates: [Int: [Int64]] = [:]
        var newWatches: [(key: KeyHash, row: Int)] = []
        for position in dirtyPositions {
            let row = rows[position]
            let text = keys[row.rowId]
            let email = text?.emailKey.map { rowHolders.email[$0] ?? [] } ?? []
            let phone = text?.phoneKey.map { rowHolders.phone[$0] ?? [] } ?? []
            let outcome = match(
                link: row.sourceId.flatMap { links[$0] }, byId: row.highlevelId.flatMap { rowHolders.id[$0] }, email: row.emailKey == nil ? [] : email,
                phone: row.phoneKey == nil ? [] : phone)
            switch outcome {
            case .contact(let contact):
                newContact[position] = contact
                if let key = row.emailKey, email != [contact] { newWatches.append((key, position)) }
                if let key = row.phoneKey, phone != [contact] { newWatches.append((key, position)) }
                if let id = row.highlevelId { newWatches.append((PlanState.idKey(id), position)) }
                touched.insert(contact)
            case .ambiguous(let candidates):
                newContact[position] = PlanState.ambiguous
                newCandidates[position] = candidates
                touched.formUnion(candidates)
            case .none:
                newContact[position] = PlanState.unmatched
            }
        }

        // 5. Rows per touched contact, over the whole import.
        var rowsOf: [Int64: [Int]] = [:]
        for contact in touched { rowsOf[contact] = [] }
        func contact(at position: Int) -> Int64 { newContact[position] ?? state.rows[inherited[position]].contact }
        for position in hashes.indices {
            let matched = contact(at: position)
            if matched >= 0, rowsOf[matched] != nil { rowsOf[matched, default: []].append(position) }
        }
        var candidateSet = Set<Int64>()
        for list in newCandidates.values { candidateSet.formUnion(list) }
        for position in hashes.indices where !dirty[position] && state.rows[inherited[position]].contact == PlanState.ambiguous {
            candidateSet.formUnion(state.candidates[hashes[position]] ?? [])
        }

        // Facts of every contact the outcome names: matched by dirty rows (for their quiet
        // state), touched, shared, unseen.
        var wanted = touched
        wanted.formUnion(state.unseen)
        for position in hashes.indices where !dirty[position] && rowsOf[contact(at: position)] == nil {
            let old = state.rows[inherited[position]]
            if old.contact >= 0, !old.oneToOne || !old.quiet { wanted.insert(old.contact) }
        }
        let facts = try database.incrementalFacts(rowids: Array(wanted), mask: mask)
        let bases = try database.foldedBaseDigests(ids: dirtyPositions.compactMap { newContact[$0].flatMap { $0 >= 0 ? facts[$0]?.id : nil } }, mask: mask)

        // 6. The new state's rows and the triage's work, in the full triage's order.
        var stateRows: [PlanState.Row] = []
        stateRows.reserveCapacity(hashes.count)
        var positionRows: [(contact: Int64, quiet: Bool, oneToOne: Bool)] = []
        positionRows.reserveCapacity(hashes.count)
        for position in hashes.indices {
            let matched = contact(at: position)
            var quiet: Bool
            var oneToOne: Bool
            if let fresh = newContact[position] {
                quiet = false
                if fresh >= 0, let contactFacts = facts[fresh], let digests = contactFacts.digests {
                    let base = bases[contactFacts.id]
                    quiet = PlanContext.quiet(
                        rows[position], mask: mask, digests: { digests[$0] }, base: { base?[$0] ?? SyncDigest.none })
                }
                oneToOne = fresh >= 0 && rowsOf[fresh]?.count == 1
            } else {
                let old = state.rows[inherited[position]]
                quiet = old.quiet
                oneToOne = rowsOf[matched].map { $0.count == 1 } ?? old.oneToOne
            }
            stateRows.append(PlanState.Row(hash: hashes[position], contact: matched, quiet: quiet, oneToOne: oneToOne))
            positionRows.append((matched, quiet, oneToOne))
        }
        var unseen = state.unseen.filter { !touched.contains($0) && facts[$0] != nil }
        for contact in touched where (rowsOf[contact]?.isEmpty ?? true) && !candidateSet.contains(contact) && facts[contact] != nil { unseen.append(contact) }

        // The contacts the work names, in id order (the full index's order).
        var named = Set(unseen)
        named.formUnion(candidateSet)
        for row in positionRows where row.contact >= 0 && (!row.oneToOne || !row.quiet) { named.insert(row.contact) }
        let ordered = named.compactMap { rowid in facts[rowid].map { (rowid: rowid, facts: $0) } }.sorted { $0.facts.id.utf8.lexicographicallyPrecedes($1.facts.id.utf8) }
        var index = ContactIndex()
        var positionOf: [Int64: Int32] = [:]
        for (position, entry) in ordered.enumerated() {
            var id = entry.facts.id
            id.withUTF8 { index.ids.append(UnsafeRawBufferPointer($0)) }
            index.rowids.append(entry.rowid)
            index.deleted.append(entry.facts.deleted)
            positionOf[entry.rowid] = Int32(position)
        }
        index.fingerprint = fingerprint.hex

        var triage = PlanContext.Triage()
        var sharedRows: [Int32: [String]] = [:]
        for position in hashes.indices {
            let row = positionRows[position]
            if row.contact == PlanState.ambiguous {
                let candidates = newCandidates[position] ?? state.candidates[hashes[position]] ?? []
                triage.work.append(.ambiguous(row: table.rows[position].rowId, candidates: candidates.compactMap { positionOf[$0] }))
            } else if row.contact == PlanState.unmatched {
                triage.work.append(.unmatched(row: table.rows[position].rowId))
            } else if let at = positionOf[row.contact], !row.oneToOne {
                sharedRows[at, default: []].append(table.rows[position].sourceId ?? "line \(table.rows[position].line)")
            }
            if row.contact >= 0 && row.oneToOne { triage.matched += 1 }
        }
        var pairs: [Int32: Int64] = [:]
        for position in hashes.indices where positionRows[position].contact >= 0 && positionRows[position].oneToOne && !positionRows[position].quiet {
            if let at = positionOf[positionRows[position].contact] { pairs[at] = table.rows[position].rowId }
        }
        for position in 0..<Int32(index.count) {
            if let rows = sharedRows[position] {
                triage.work.append(.shared(contact: position, rows: rows.sorted()))
            } else if let row = pairs[position] {
                triage.work.append(.pair(row: row, contact: position))
            }
        }
        let linkedContacts = Set(links.values.map(\.rowid))
        let unseenSet = Set(unseen)
        for position in 0..<index.count where unseenSet.contains(index.rowids[position]) {
            let rowid = index.rowids[position]
            let linked = linkedContacts.contains(rowid)
            if index.deleted[position] {
                if linked { triage.work.append(.unseen(contact: Int32(position), state: .deleted)) }
            } else if let when = sent[index.ids[position]] {
                triage.work.append(.unseen(contact: Int32(position), state: .sent(when)))
            } else {
                triage.work.append(.unseen(contact: Int32(position), state: linked ? .linked : .new))
            }
        }

        var watches = state.watches.filter { watch in
            // Kept for rows followed unchanged; dirty rows bring their own.
            !watchedHashes.contains(watch.row) && newCount[watch.row] == 1 && oldByHash[watch.row].map { $0 >= 0 } == true
        }
        let dirtyHashes = Set(dirtyPositions.map { hashes[$0] })
        watches.removeAll { dirtyHashes.contains($0.row) }
        watches += newWatches.map { PlanState.Watch(key: $0.key, row: hashes[$0.row]) }
        var candidates: [UInt64: [Int64]] = [:]
        for (position, row) in positionRows.enumerated() where row.contact == PlanState.ambiguous {
            candidates[hashes[position]] = newCandidates[position] ?? state.candidates[hashes[position]] ?? []
        }
        var linkPositions: [String: Int32] = [:]
        for (sourceId, link) in links { if let at = positionOf[link.rowid] { linkPositions[sourceId] = at } }
        let next = PlanState(
            importId: table.rows.first?.importId ?? state.importId, mask: mask, positions: state.positions, fingerprint: fingerprint, rows: stateRows,
            watches: watches, candidates: candidates, unseen: unseen.sorted())
        return IncrementalTriage(index: index, links: linkPositions, triage: triage, state: next)
    }

    enum Outcome {
        case contact(Int64)
        case ambiguous([Int64])
        case none
    }

    /// `PlanContext.match` over contact rowids: a live link, then a HighLevel id column, then
    /// email, then phone; two contacts by the two keys, or several by one, are ambiguous.
    static func match(link: (rowid: Int64, deleted: Bool)?, byId: Int64?, email: [Int64], phone: [Int64]) -> Outcome {
        if let link, !link.deleted { return .contact(link.rowid) }
        if let byId { return .contact(byId) }
        if email.count > 1 { return .ambiguous(email) }
        if email.isEmpty, phone.count > 1 { return .ambiguous(phone) }
        if let e = email.first, let p = phone.first, phone.count == 1, e != p { return .ambiguous([e, p]) }
        if let e = email.first { return .contact(e) }
        if let p = phone.first { return .contact(p) }
        return .none
    }
}

extension MirrorDatabase {
    /// Contacts by rowid: id, keys, time, deletion and digests (folded over `mask`).
    func incrementalFacts(rowids: [Int64], mask: UInt32?) throws -> [Int64: IncrementalTriage.Facts] {
        guard !rowids.isEmpty else { return [:] }
        return try writer.read { db in
            var result: [Int64: IncrementalTriage.Facts] = [:]
            try db.forEachStatementRow("SELECT rowid, id, email_key, phone_key, date_updated, deleted_at, sync_digests FROM contacts WHERE rowid IN", keys: rowids) {
                handle in
                var digests: [UInt64]?
                if sqlite3_column_bytes(handle, 6) == SyncDigest.fieldCount * 8, let blob = sqlite3_column_blob(handle, 6) {
                    var folded: [UInt64] = []
                    Self.appendDigests(blob, at: 0, mask: mask, to: &folded)
                    digests = folded
                }
                result[sqlite3_column_int64(handle, 0)] = IncrementalTriage.Facts(
                    id: Self.text(handle, 1) ?? "", emailKey: Self.text(handle, 2), phoneKey: Self.text(handle, 3), updated: Self.text(handle, 4),
                    deletedAt: Self.text(handle, 5), digests: digests)
            }
            return result
        }
    }

    /// Rowids of contacts by id.
    func contactRowids(ids: [String]) throws -> [String: Int64] {
        guard !ids.isEmpty else { return [:] }
        return try writer.read { db in
            var result: [String: Int64] = [:]
            try db.forEachStatementRow("SELECT id, rowid FROM contacts WHERE id IN", keys: ids) { handle in
                if let id = Self.text(handle, 0) { result[id] = sqlite3_column_int64(handle, 1) }
            }
            return result
        }
    }

    /// Live contacts holding each email key, phone key and id.
    func liveHolders(emails: [String], phones: [String], ids: [String]) throws -> (email: [String: [Int64]], phone: [String: [Int64]], id: [String: Int64]) {
        try writer.read { db in
            var email: [String: [Int64]] = [:]
            var phone: [String: [Int64]] = [:]
            var byId: [String: Int64] = [:]
            try db.forEachStatementRow("SELECT email_key, rowid FROM contacts WHERE deleted_at IS NULL AND email_key IN", keys: Array(Set(emails))) { handle in
                if let key = Self.text(handle, 0) { email[key, default: []].append(sqlite3_column_int64(handle, 1)) }
            }
            try db.forEachStatementRow("SELECT phone_key, rowid FROM contacts WHERE deleted_at IS NULL AND phone_key IN", keys: Array(Set(phones))) { handle in
                if let key = Self.text(handle, 0) { phone[key, default: []].append(sqlite3_column_int64(handle, 1)) }
            }
            try db.forEachStatementRow("SELECT id, rowid FROM contacts WHERE deleted_at IS NULL AND id IN", keys: Array(Set(ids))) { handle in
                if let id = Self.text(handle, 0) { byId[id] = sqlite3_column_int64(handle, 1) }
            }
            for key in email.keys { email[key]?.sort() }
            for key in phone.keys { phone[key]?.sort() }
            return (email, phone, byId)
        }
    }

    /// Every link: LocaliQ id → the linked contact's rowid and whether it is deleted.
    func linkedRowids() throws -> [String: (rowid: Int64, deleted: Bool)] {
        try writer.read { db in
            var links: [String: (rowid: Int64, deleted: Bool)] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT l.localiq_id, c.rowid, c.deleted_at IS NOT NULL FROM links l JOIN contacts c ON c.id = l.contact_id")
            while let row = try rows.next() { links[row[0]] = (row[1], row[2]) }
            return links
        }
    }

    /// Base digests of contacts by id, folded over `mask` like the full plan's.
    func foldedBaseDigests(ids: [String], mask: UInt32?) throws -> [String: [UInt64]] {
        guard !ids.isEmpty else { return [:] }
        return try writer.read { db in
            var result: [String: [UInt64]] = [:]
            try db.forEachStatementRow("SELECT contact_id, digests FROM base_digests WHERE contact_id IN", keys: Array(Set(ids))) { handle in
                guard let id = Self.text(handle, 0), sqlite3_column_bytes(handle, 1) == SyncDigest.fieldCount * 8, let blob = sqlite3_column_blob(handle, 1)
                else { return }
                var folded: [UInt64] = []
                Self.appendDigests(blob, at: 0, mask: mask, to: &folded)
                result[id] = folded
            }
            return result
        }
    }
}

extension MirrorDatabase {
    /// Whether an import staged any activity rows (calls, forms, chats).
    func hasActivities(importId: Int64) throws -> Bool {
        try writer.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS(SELECT 1 FROM staged_rows INDEXED BY staged_rows_activity WHERE row_id BETWEEN ? AND ? AND activity IS NOT NULL)",
                arguments: [importId << 32, importId << 32 | 0xFFFF_FFFF]) ?? false
        }
    }
}
