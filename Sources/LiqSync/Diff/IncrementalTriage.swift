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
    /// Pairs whose base equals one side's values (`PlanContext.baseSides`).
    var baseSides: [Int32: ChangeTarget] = [:]
    /// The import's row ids, in the state's order.
    var rowIds: [Int64] = []
    /// The contacts and rows read in full (`Records`, in IncrementalTriage+Records.swift).
    var records = Records()

    /// nil when the change since `state` is too large or of a kind this cannot follow (the
    /// caller plans in full).
    static func run(
        _ database: MirrorDatabase, state: PlanState, mask: UInt32?, importId: Int64, rows: RowHashes, sent: [String: String],
        known: KnownFields
    ) throws -> IncrementalTriage? {
        guard state.mask == mask else { return nil }
        var phases = PhaseTimer()
        let limit = max(1_000, rows.count / 10)
        guard
            let logs = try database.writer.read({ db -> (contacts: [Int64: MirrorDatabase.ContactBefore?], base: Set<String>)? in
                guard !(try MirrorDatabase.linksChanged(after: state.positions.links, in: db)),
                    let contacts = try MirrorDatabase.contactChanges(after: state.positions.contacts, limit: limit, in: db),
                    let base = try MirrorDatabase.baseChanges(after: state.positions.base, limit: limit, in: db)
                else { return nil }
                return (contacts, base)
            })
        else { return nil }

        phases.mark("inc: logs")
        // Read while the rows are aligned: the contacts changed since the state, and those no row
        // spoke for then whose keys it does not keep (every plan names them; most stay so).
        let changedReading = Background { try database.incrementalFacts(rowids: Array(logs.contacts.keys), mask: mask, records: true) }
        let unknownUnseen = state.unseen.enumerated().compactMap { at, rowid in logs.contacts[rowid] == nil && state.unseenKeys(at: at) == nil ? rowid : nil }
        let unseenReading = Background { try database.incrementalFacts(rowids: unknownUnseen, mask: mask, records: true) }
        let count = rows.count
        let hashes = rows.hashes
        // Row ids by position: worked out where needed; the whole column (for the caller) on the
        // other core.
        func rowId(_ position: Int) -> Int64 { importId << 32 | Int64(rows.line(position)) }
        let rowIdsReading = Background { (0..<count).map { importId << 32 | Int64(rows.line($0)) } }
        // 1. The import's rows, each paired with a row of the state's import with the same
        // content hash (same content, same match).
        let (inherited, usedOld) = Self.align(old: state.hashes, new: hashes)
        // A row paired with one of the state's that matched a contact keeps its match; a HighLevel
        // id column's value is not in the digest record: such rows are matched again.
        var dirty = [Bool](repeating: true, count: count)
        var dirtyCount = 0
        inherited.withUnsafeBufferPointer { inherited in
            state.contacts.withUnsafeBufferPointer { contacts in
                dirty.withUnsafeMutableBufferPointer { dirty in
                    for position in 0..<count {
                        let at = Int(inherited[position])
                        if at >= 0 { dirty[position] = contacts[at] < 0 || rows.hasHighLevelId(position) }
                        if dirty[position] { dirtyCount += 1 }
                    }
                }
            }
        }
        if dirtyCount > limit { return nil }
        // The rows new or changed in the import are read while the contacts' changes are followed.
        var changedRows: [Int64] = []
        changedRows.reserveCapacity(dirtyCount)
        for position in 0..<count where dirty[position] { changedRows.append(rowId(position)) }
        let changedRowReading = Background { [changedRows] in try database.rowKeys(rowIds: changedRows, records: true) }
        let bound = try database.writer.read { db in try Int64.fetchOne(db, sql: "SELECT max(rowid) FROM contacts") ?? 0 }
        guard bound < 100_000_000 else { return nil }
        var touched = ContactSet(bound: bound)
        // The contacts of the state's rows that tonight's rows do not continue.
        state.contacts.withUnsafeBufferPointer { contacts in
            usedOld.withUnsafeBufferPointer { usedOld in
                for position in 0..<contacts.count where !usedOld[position] && contacts[position] >= 0 { touched.insert(contacts[position]) }
            }
        }
        for candidates in state.candidates.values { for contact in candidates { touched.insert(contact) } }

        phases.mark("inc: align rows")
        // 2. Contacts changed in the mirror or in the base; the keys they held or hold.
        var fingerprint = state.fingerprint
        let changed = try changedReading.take()
        // Contacts whose keys, ids or deletion changed: their rows are matched again. Contacts
        // whose digests or base changed keep their rows' matches; only the pairs' quiet state is
        // worked out again.
        var dirtyContacts = ContactSet(bound: bound)
        var requietContacts = ContactSet(bound: bound)
        var emailKeys = Set<String>()
        var phoneKeys = Set<String>()
        var ids = Set<String>()
        func moved(_ facts: (id: String, emailKey: String?, phoneKey: String?)) {
            if let key = facts.emailKey { emailKeys.insert(key) }
            if let key = facts.phoneKey { phoneKeys.insert(key) }
            ids.insert(facts.id)
        }
        for (rowid, before) in logs.contacts {
            if let before { fingerprint.remove(id: before.id, updated: before.updated, deleted: before.deleted) }
            let now = changed[rowid]
            if let now { fingerprint.add(id: now.id, updated: now.updated, deleted: now.deletedAt) }
            switch (before, now) {
            case (let before?, let now?) where before.emailKey == now.emailKey && before.phoneKey == now.phoneKey && (before.deleted == nil) == !now.deleted:
                requietContacts.insert(rowid)
            default:
                dirtyContacts.insert(rowid)
                if let before { moved((before.id, before.emailKey, before.phoneKey)) }
                if let now { moved((now.id, now.emailKey, now.phoneKey)) }
            }
        }
        var baseLogged = ContactSet(bound: bound)
        for rowid in try database.contactRowids(ids: Array(logs.base)).values {
            requietContacts.insert(rowid)
            baseLogged.insert(rowid)
        }
        phases.mark("inc: contact log")
        // 3. Whoever holds a key that moved (a contact took, left or lost it), and the rows
        // watching one. (Ids are unique: a moved id's holder is the contact that moved.)
        let holders = try database.liveHolders(emails: Array(emailKeys), phones: Array(phoneKeys), ids: [])
        for list in holders.email.values { for rowid in list { dirtyContacts.insert(rowid) } }
        for list in holders.phone.values { for rowid in list { dirtyContacts.insert(rowid) } }
        let movedKeys = Set(emailKeys.union(phoneKeys).map { KeyHash($0) } + ids.map(PlanState.idKey))
        var watchedHashes = Set<UInt64>()
        for watch in state.watches where movedKeys.contains(watch.key) { watchedHashes.insert(watch.row) }
        var requiet: [Int] = []
        for position in 0..<count where !dirty[position] {
            let contact = state.contacts[Int(inherited[position])]
            if dirtyContacts.contains(contact) || (!watchedHashes.isEmpty && watchedHashes.contains(hashes[position])) {
                dirty[position] = true
            } else if requietContacts.contains(contact) {
                requiet.append(position)
            }
        }
        touched.formUnion(requietContacts)
        touched.formUnion(dirtyContacts)
        var dirtyPositions: [Int] = []
        for position in 0..<count where dirty[position] {
            dirtyPositions.append(position)
            if inherited[position] >= 0 { touched.insert(state.contacts[Int(inherited[position])]) }
        }
        if dirtyPositions.count > limit { return nil }

        phases.mark("inc: holders and watches")
        // 4. The dirty rows matched again from their keys.
        var (dirtyRows, keys) = try changedRowReading.take()
        let more = try database.rowKeys(rowIds: (dirtyPositions + requiet).compactMap { dirtyRows[rowId($0)] == nil ? rowId($0) : nil }, records: true)
        dirtyRows.reserveCapacity(dirtyRows.count + more.keys.count)
        dirtyRows.merge(more.keys) { taken, _ in taken }
        keys.reserveCapacity(keys.count + more.texts.count)
        keys.merge(more.texts) { taken, _ in taken }
        phases.mark("inc: row keys \(dirtyPositions.count) + \(requiet.count)")
        let flagged = dirtyPositions.filter { rows.hasHighLevelId($0) }
        let flaggedKeys = try database.rowMatchKeys(rowIds: flagged.map(rowId))
        var highlevelIds: [Int: String] = [:]
        for position in flagged { if let id = flaggedKeys[rowId(position)]?.highlevelId { highlevelIds[position] = id } }
        let rowHolders = try database.liveHolders(
            emails: dirtyPositions.compactMap { keys[rowId($0)]?.emailKey }, phones: dirtyPositions.compactMap { keys[rowId($0)]?.phoneKey },
            ids: Array(highlevelIds.values))
        phases.mark("inc: row holders")
        // The rows read in full are parsed for the diff on the other core, idle while this one
        // matches and counts.
        let parsedRows = Self.parsingAhead(keys, known: known)
        let links = try database.linkedRowids()
        // The contacts of the rows matched again, by position (the others are followed).
        var newContact: [Int: Int64] = [:]
        newContact.reserveCapacity(dirtyPositions.count)
        var newCandidates: [Int: [Int64]] = [:]
        var newWatches: [(key: KeyHash, row: Int)] = []
        for position in dirtyPositions {
            // A row gone since (a concurrent import replaced it) is planned by the next plan.
            guard let row = dirtyRows[rowId(position)], row.combined != nil else { return nil }
            let text = keys[row.rowId]
            let email = text?.emailKey.map { rowHolders.email[$0] ?? [] } ?? []
            let phone = text?.phoneKey.map { rowHolders.phone[$0] ?? [] } ?? []
            let highlevelId = highlevelIds[position]
            let outcome = match(
                link: row.sourceId.flatMap { links[$0] }, byId: highlevelId.flatMap { rowHolders.id[$0] }, email: row.emailKey == nil ? [] : email,
                phone: row.phoneKey == nil ? [] : phone)
            switch outcome {
            case .contact(let contact):
                newContact[position] = contact
                if let key = row.emailKey, email != [contact] { newWatches.append((key, position)) }
                if let key = row.phoneKey, phone != [contact] { newWatches.append((key, position)) }
                if let id = highlevelId { newWatches.append((PlanState.idKey(id), position)) }
                touched.insert(contact)
            case .ambiguous(let candidates):
                newContact[position] = PlanState.ambiguous
                newCandidates[position] = candidates
                for contact in candidates { touched.insert(contact) }
            case .none:
                newContact[position] = PlanState.unmatched
            }
        }

        phases.mark("inc: rematch")
        // Which contacts had a quiet row in the state (the base known from it), worked out
        // meanwhile: it reads only the state.
        let quietReading = Background { Self.quietBefore(state: state) }
        // 5. One pass over the import: each row's contact, its rows per touched contact, and the
        // flags of the rows followed unchanged whose contact nothing touched (they carry over).
        // The other rows — matched again, of touched contacts, ambiguous, unmatched, shared or
        // differing — are listed as open: the steps below look at those alone.
        var matched = [Int64](repeating: PlanState.unmatched, count: count)
        var flags = [UInt8](repeating: 0, count: count)
        var open: [Int] = []
        var rowsOf = [Int32](repeating: 0, count: Int(max(bound, touched.members.max() ?? 0)) + 1)
        var seenAsCandidate = ContactSet(bound: bound)
        let settled = PlanState.quietFlag | PlanState.oneToOneFlag
        // (Over buffers: most of a million rows take the first branch, and bounds checks were a
        // third of the pass.)
        dirty.withUnsafeBufferPointer { dirty in
            inherited.withUnsafeBufferPointer { inherited in
                state.contacts.withUnsafeBufferPointer { oldContacts in
                    state.flags.withUnsafeBufferPointer { oldFlags in
                        matched.withUnsafeMutableBufferPointer { matched in
                            flags.withUnsafeMutableBufferPointer { flags in
                                for position in 0..<count {
                                    let contact: Int64
                                    if dirty[position] {
                                        contact = newContact[position] ?? PlanState.unmatched
                                        open.append(position)
                                    } else {
                                        let old = Int(inherited[position])
                                        contact = oldContacts[old]
                                        if contact >= 0, !touched.contains(contact) {
                                            matched[position] = contact
                                            let carried = oldFlags[old] & settled
                                            flags[position] = carried
                                            if carried != settled { open.append(position) }
                                            continue
                                        }
                                        // Quiet as followed; one-to-one is counted again below.
                                        if contact >= 0 { flags[position] = oldFlags[old] & PlanState.quietFlag }
                                        open.append(position)
                                    }
                                    matched[position] = contact
                                    if contact >= 0, touched.contains(contact) { rowsOf[Int(contact)] += 1 }
                                    if contact == PlanState.ambiguous {
                                        for candidate in newCandidates[position] ?? state.candidates[hashes[position]] ?? [] { seenAsCandidate.insert(candidate) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        phases.mark("inc: rows per contact")
        // The open rows' one-to-one flags, from the rows per contact.
        for position in open where matched[position] >= 0 && touched.contains(matched[position]) {
            if rowsOf[Int(matched[position])] == 1 { flags[position] |= PlanState.oneToOneFlag }
        }
        // Contacts the work names: pairs that differ, shared, unseen, candidates; and the
        // contacts dirty rows matched (their quiet state is worked out from their digests).
        var unseen = state.unseen.filter { !touched.contains($0) }
        for contact in touched.members where rowsOf[Int(contact)] == 0 && !seenAsCandidate.contains(contact) { unseen.append(contact) }
        var named = Set(unseen)
        named.formUnion(seenAsCandidate.members)
        for position in dirtyPositions where matched[position] >= 0 { named.insert(matched[position]) }
        for position in requiet { named.insert(matched[position]) }
        for position in open where matched[position] >= 0 && (!PlanState.isOneToOne(flags[position]) || (!dirty[position] && !PlanState.isQuiet(flags[position]))) {
            named.insert(matched[position])
        }
        phases.mark("inc: named \(named.count)")
        // Each contact is read once: those read from the log, or as unseen, are not read again.
        var facts = consume changed
        facts.reserveCapacity(facts.count + named.count)
        // Those no row speaks for and unchanged since the state: as the state knew them.
        for rowid in unseen where logs.contacts[rowid] == nil { if let keys = state.unseenKeys(of: rowid) { facts[rowid] = Facts(keys) } }
        facts.merge(try unseenReading.take()) { taken, _ in taken }
        facts.merge(try database.incrementalFacts(rowids: named.filter { facts[$0] == nil }, mask: mask, records: true)) { taken, _ in taken }
        phases.mark("inc: facts read")
        // Likewise the contacts read in full (those no row speaks for keys-only: a report names them by those).
        let parsedContacts = Self.parsingAhead(facts, keysOnly: Set(unseen))
        // A pair is quiet when row, contact and base agree: only the rows that agree with their
        // contact need the base read (most rows worked out again are edits, on one side).
        var rechecked: [(position: Int, row: RowKeys, digests: [UInt64], id: String)] = []
        for position in dirtyPositions.filter({ matched[$0] >= 0 }) + requiet {
            flags[position] &= ~PlanState.quietFlag
            guard let contact = facts[matched[position]], let digests = contact.digests, let row = dirtyRows[rowId(position)],
                PlanContext.quiet(row, mask: mask, digests: { digests[$0] }, base: { digests[$0] })
            else { continue }
            rechecked.append((position, row, digests, contact.id))
        }
        let bases = try database.foldedBaseDigests(ids: rechecked.map(\.id), mask: mask)
        for (position, row, digests, id) in rechecked {
            let base = bases[id]
            if PlanContext.quiet(row, mask: mask, digests: { digests[$0] }, base: { base?[$0] ?? SyncDigest.none }) {
                flags[position] |= PlanState.quietFlag
            }
        }
        unseen = unseen.filter { facts[$0] != nil }.sorted()

        phases.mark("inc: facts")
        // The contacts the work names, in id order (the full index's order).
        var listed = Set(unseen)
        listed.formUnion(seenAsCandidate.members)
        for position in open where matched[position] >= 0 && (!PlanState.isOneToOne(flags[position]) || !PlanState.isQuiet(flags[position])) { listed.insert(matched[position]) }
        // Sorted as (rowid, id) pairs, the facts themselves not copied about, by the ids' first
        // eight bytes as a number (ids seldom share them) and then by the whole id.
        var ordered: [(prefix: UInt64, rowid: Int64, id: String, deleted: Bool)] = []
        ordered.reserveCapacity(listed.count)
        for rowid in listed { if let contact = facts[rowid] { ordered.append((contact.id.utf8Prefix, rowid, contact.id, contact.deleted)) } }
        ordered.sort { $0.prefix != $1.prefix ? $0.prefix < $1.prefix : $0.id.utf8Precedes($1.id) }
        var index = ContactIndex()
        var positionOf: [Int64: Int32] = [:]
        positionOf.reserveCapacity(ordered.count)
        for (position, entry) in ordered.enumerated() {
            var id = entry.id
            id.withUTF8 { index.ids.append(UnsafeRawBufferPointer($0)) }
            index.rowids.append(entry.rowid)
            index.deleted.append(entry.deleted)
            positionOf[entry.rowid] = Int32(position)
        }
        index.fingerprint = fingerprint.hex

        phases.mark("inc: index")
        var triage = PlanContext.Triage()
        var sharedRows: [Int32: [Int]] = [:]
        var pairs: [Int32: Int] = [:]
        // Rows not open are one-to-one and quiet.
        triage.matched = count - open.count
        for position in open {
            let contact = matched[position]
            if contact == PlanState.ambiguous {
                let candidates = newCandidates[position] ?? state.candidates[hashes[position]] ?? []
                triage.work.append(.ambiguous(row: rowId(position), candidates: candidates.compactMap { positionOf[$0] }))
            } else if contact == PlanState.unmatched {
                triage.work.append(.unmatched(row: rowId(position)))
            } else if !PlanState.isOneToOne(flags[position]) {
                if let at = positionOf[contact] { sharedRows[at, default: []].append(position) }
            } else {
                triage.matched += 1
                if !PlanState.isQuiet(flags[position]), let at = positionOf[contact] { pairs[at] = position }
            }
        }
        // The rows a shared contact lists, by LocaliQ id (or line).
        let sharing = try database.rowKeys(rowIds: sharedRows.values.flatMap { $0.map(rowId) }).keys
        func name(_ position: Int) -> String { sharing[rowId(position)]?.sourceId ?? "line \(rows.line(position))" }
        for position in 0..<Int32(index.count) {
            if let shared = sharedRows[position] {
                triage.work.append(.shared(contact: position, rows: shared.map(name).sorted()))
            } else if let row = pairs[position] {
                triage.work.append(.pair(row: rowId(row), contact: position))
            }
        }
        // What the base holds, known without reading it: a contact that was in step with a row
        // (a quiet pair) and has not changed since, nor its base, still has that base. A pair
        // whose row is the one it was in step with (same content, same contact) has a base
        // equal to the row; one whose contact has not changed, a base equal to the contact.
        var baseSides: [Int32: ChangeTarget] = [:]
        func unchanged(_ contact: Int64) -> Bool { logs.contacts[contact] == nil && !baseLogged.contains(contact) }
        var unchangedPairs: [(at: Int32, contact: Int64)] = []
        if state.quietMeansAgreed {
            for (at, position) in pairs where !baseLogged.contains(matched[position]) {
                if !dirty[position], state.quiet(Int(inherited[position])) {
                    baseSides[at] = .localiq
                } else if unchanged(matched[position]) {
                    unchangedPairs.append((at, matched[position]))
                }
            }
        }
        let wereQuiet = try quietReading.wait()
        for (at, contact) in unchangedPairs where wereQuiet.contains(contact) { baseSides[at] = .highlevel }
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
                triage.work.append(.unseen(contact: Int32(position), state: linked ? .linked : unchanged(rowid) && wereQuiet.contains(rowid) ? .agreed : .new))
            }
        }

        phases.mark("inc: work")
        let (watches, candidates) = Self.carried(
            state: state, hashes: hashes, dirty: dirty, matched: matched, newWatches: newWatches, newCandidates: newCandidates)
        let linkPositions = links.compactMapValues { positionOf[$0.rowid] }
        let next = PlanState(
            importId: importId, mask: mask, positions: state.positions, fingerprint: fingerprint, hashes: hashes, contacts: matched,
            flags: flags, watches: watches, candidates: candidates,
            unseen: unseen, unseenKeys: unseen.map { facts[$0]?.unseenKeys })
        phases.mark("inc: next state")
        return IncrementalTriage(
            index: index, links: linkPositions, triage: triage, state: next, baseSides: baseSides, rowIds: try rowIdsReading.wait(),
            records: Records(contacts: facts, rows: keys, parsedRows: parsedRows, parsedContacts: parsedContacts))
    }
}
