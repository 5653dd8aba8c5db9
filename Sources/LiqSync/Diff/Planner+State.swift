import Foundation

/// The plan's state: starting from it (`IncrementalTriage`), keeping a new one.
extension Planner {
    /// The incremental triage from `state`, with the import's row ids in the state's order; nil
    /// to plan in full. The import's row hashes are those it kept (`rowHashes`) or, for an import
    /// staged before they were kept, come from its rows.
    static func incremental(
        _ database: MirrorDatabase, state: PlanState, importId: Int64, rowHashes: RowHashes?, mask: UInt32?, sent: [String: String],
        known: KnownFields
    ) throws -> ([Int64], IncrementalTriage)? {
        var phases = PhaseTimer()
        var rows = rowHashes
        if rows == nil {
            var table = RowTable()
            try database.rowDigests(importId: importId, into: &table)
            guard !table.rows.contains(where: { $0.combined == nil }) else { return nil }
            var hashes = RowHashes()
            for row in table.rows { hashes.append(line: row.line, hash: row.contentHash, highlevelId: row.flags.contains(.highlevelId)) }
            rows = hashes
        }
        phases.mark("inc: row hashes")
        guard let rows, let result = try IncrementalTriage.run(database, state: state, mask: mask, importId: importId, rows: rows, sent: sent, known: known)
        else { return nil }
        return (result.rowIds, result)
    }

    /// The state a full triage leaves.
    static func state(of triage: PlanContext.Triage, table: RowTable, index: ContactIndex, importId: Int64, mask: UInt32?) -> PlanState {
        let hashes = table.rows.map(\.contentHash)
        let contacts = table.rows.indices.map { position in
            let contact = triage.rowContact[position]
            return contact >= 0 ? index.rowids[Int(contact)] : Int64(contact)
        }
        let flags = table.rows.indices.map { PlanState.flags(quiet: triage.rowQuiet[$0], oneToOne: triage.rowOneToOne[$0]) }
        var candidates: [UInt64: [Int64]] = [:]
        for (position, list) in triage.candidates { candidates[hashes[position]] = list.map { index.rowids[Int($0)] } }
        return PlanState(
            importId: importId, mask: mask, positions: MirrorDatabase.ChangeLogPositions(contacts: 0, base: 0, links: 0), fingerprint: index.fingerprintSums,
            hashes: hashes, contacts: contacts, flags: flags, watches: triage.watches.map { PlanState.Watch(key: $0.key, row: hashes[$0.row]) }, candidates: candidates,
            unseen: triage.unseen.map { index.rowids[Int($0)] }.sorted())
    }

    /// Keeps in `state` the keys of the batch's contacts no row speaks for, as they were read:
    /// the next plan names them from there while they are unchanged.
    static func keepUnseenKeys(_ batch: ArraySlice<PlanContext.Triage.Work>, contacts: [Int64: PlanContact], index: ContactIndex, into state: inout PlanState?) {
        guard var kept = state else { return }
        state = nil
        if kept.unseenKeys.isEmpty { kept.unseenKeys = Array(repeating: nil, count: kept.unseen.count) }
        for work in batch {
            guard case .unseen(let position, _) = work else { continue }
            let rowid = index.rowids[Int(position)]
            guard let contact = contacts[rowid], let at = kept.unseenPosition(rowid) else { continue }
            kept.unseenKeys[at] = PlanState.UnseenKeys(id: contact.id, emailKey: contact.emailKey, phoneKey: contact.phoneKey, deleted: contact.deleted)
        }
        state = kept
    }

    /// Takes the base this plan recorded into its state: when every base change logged since it
    /// started is one of its own agreements, those pairs' quiet state is worked out again from
    /// the new base and the state reads the base log from here on. Otherwise (something else
    /// wrote the base meanwhile) the next plan reads those changes from the log.
    static func absorb(_ agreed: Set<String>, into state: inout PlanState, rowIds: [Int64], database: MirrorDatabase, mask: UInt32?) throws {
        guard !agreed.isEmpty else { return }
        let (logged, now) = try database.writer.read { db in
            (try MirrorDatabase.baseChanges(after: state.positions.base, limit: 50_000_000, in: db), try MirrorDatabase.changeLogPositions(in: db))
        }
        guard let logged, logged.isSubset(of: agreed) else { return }
        let wanted = Set(try database.contactRowids(ids: Array(logged)).values)
        let positions = state.contacts.indices.filter { wanted.contains(state.contacts[$0]) }
        let facts = try database.incrementalFacts(rowids: Array(wanted), mask: mask)
        let bases = try database.foldedBaseDigests(ids: Array(logged), mask: mask)
        let keys = try database.rowKeys(rowIds: positions.map { rowIds[$0] }).keys
        for position in positions {
            guard let row = keys[rowIds[position]], let contact = facts[state.contacts[position]], let digests = contact.digests else { continue }
            let base = bases[contact.id]
            state.setQuiet(position, PlanContext.quiet(row, mask: mask, digests: { digests[$0] }, base: { base?[$0] ?? SyncDigest.none }))
        }
        state.positions.base = now.base
    }
}
