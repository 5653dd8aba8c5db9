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

/// Why a plan cannot be made as asked.
public enum PlanError: Error, LocalizedError, Equatable {
    /// `--import ID` names an import the plan does not read: unknown, unfinished, or replaced by a
    /// newer import of its file or export.
    case importNotCurrent(id: Int64, record: ImportRecord?, current: [ImportRecord])

    public var errorDescription: String? {
        switch self {
        case .importNotCurrent(let id, let record, let current):
            let reads =
                current.isEmpty
                ? "there is no current import; run 'liqsync import FILE' first"
                : "plans read " + current.map { "#\($0.id) (\(URL(fileURLWithPath: $0.file).lastPathComponent))" }.joined(separator: ", ")
                    + "; leave out --import to plan against all of them"
            guard let record else { return "There is no import #\(id) in this workspace: \(reads)." }
            let name = URL(fileURLWithPath: record.file).lastPathComponent
            if record.status != "done" { return "Import #\(id) (\(name)) did not finish (\(record.status)): \(reads)." }
            return "Import #\(id) (\(name)) is no longer read by plans — a newer import of the same file or export replaced it: \(reads)."
        }
    }
}

/// Builds a change set from the mirror (HighLevel) and staging (LocaliQ): matches rows to
/// contacts, diffs each linked pair three ways against the base, and applies the field policies.
/// The same inputs give the same changes in the same order.
public struct Planner: Sendable {
    public let database: MirrorDatabase
    public let policy: SyncPolicy
    /// The plan's working structures (contact index, matches, records read, the state) are kept
    /// until the process ends rather than freed when the plan returns (`KeptUntilExit`): for a
    /// command-line run that writes the change set and exits. A long-running process leaves it off.
    public var keepsWorkUntilExit = false

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
        /// The plan started from the last plan's state and matched again only what changed.
        public var incremental = false

        public init(matchedPairs: Int = 0, pairsDiffed: Int = 0, incremental: Bool = false) {
            self.matchedPairs = matchedPairs
            self.pairsDiffed = pairsDiffed
            self.incremental = incremental
        }
    }

    /// `plan`, also saying how many matched pairs were diffed in full.
    public func planMeasured(
        direction: PlanDirection = .both, imports chosen: [Int64]? = nil, workspace: String, now: Date = Date()
    ) throws -> (changeSet: ChangeSet, statistics: Statistics) {
        var phases = PhaseTimer()
        let current = try database.currentImports()
        // A chosen import the plan would not read is refused, never dropped: planned against
        // nothing, every HighLevel contact would look new to LocaliQ, and every LocaliQ record gone.
        for id in chosen ?? [] where !current.contains(where: { $0.id == id }) {
            throw PlanError.importNotCurrent(id: id, record: try database.importRecord(id: id), current: current)
        }
        let imports = current.filter { chosen == nil || chosen?.contains($0.id) == true }
        var inputs: [PlanInput] = []
        var taskRules: [Int64: FollowUpTaskRule] = [:]
        var knownColumns: [Int64: Set<String>] = [:]
        for record in imports {
            let summary = try database.importSummary(id: record.id)
            if let rule = summary?.followUpTask { taskRules[record.id] = rule }
            if summary?.format != "json", let mapped = summary?.mappedFields { knownColumns[record.id] = Set(mapped) }
            inputs.append(PlanInput(importId: record.id, file: record.file, sha256: record.sha256, profile: record.profile))
        }
        let columns = knownColumns
        let known = KnownFields(columns: columns)
        // The contacts' and the rows' keys and digests, read side by side.
        // When every import is a CSV with the same mapped fields, each record's digests are
        // folded into one over those fields; otherwise (JSON rows speak for the attributes they
        // hold) they are compared field by field.
        let masks = Set(imports.map { knownColumns[$0.id].map(SyncDigest.mask) })
        let mask = masks.count == 1 ? masks.first ?? nil : nil
        // Whatever changes in the mirror from here on is logged for the next plan.
        let start = try database.beginChangeLogs()
        let sent = try database.sentToLocaliQ()
        // One import, all of it planned, no activities or task rules: the plan keeps a state, and
        // starts from the last one when it can (docs/internals/incremental-plan.md).
        let stateful = try chosen == nil && imports.count == 1 && taskRules.isEmpty && !database.hasActivities(importId: imports[0].id)
        var index = ContactIndex()
        var table = RowTable()
        var context: PlanContext
        var triage: PlanContext.Triage
        var next: PlanState?
        var incremental = false
        var rowIds: [Int64] = []
        var records = IncrementalTriage.Records()
        phases.mark("begin")
        // The import's row hashes are read while the state is loaded.
        let rowHashes = stateful ? Background { [id = imports[0].id] in try database.rowHashes(importId: id) } : nil
        let saved = stateful ? try database.planState() : nil
        phases.mark("load state")
        if let state = saved, let rowHashes,
            let (ids, result) = try Self.incremental(database, state: state, importId: imports[0].id, rowHashes: try rowHashes.wait(), mask: mask, sent: sent, known: known)
        {
            (index, rowIds, next) = (result.index, ids, result.state)
            context = PlanContext(index: index, links: result.links, policy: policy, sent: sent)
            context.baseSides = result.baseSides
            triage = result.triage
            records = result.records
            incremental = true
            phases.mark("incremental matching")
        } else {
            (index, table) = try Self.loadIndexes(database, imports: imports.map(\.id), mask: mask)
            phases.mark("keys and digests")
            let links = try database.linkIndex(&index)
            // Rows without a digest record, or with a HighLevel id column: their keys are read before matching.
            let pending = table.rows.indices.filter { table.rows[$0].combined == nil || table.rows[$0].flags.contains(.highlevelId) }
            let pendingKeys = try database.rowMatchKeys(rowIds: pending.map { table.rows[$0].rowId })
            for position in pending {
                guard let keys = pendingKeys[table.rows[position].rowId] else { continue }
                if table.rows[position].combined == nil {
                    table.rows[position].emailKey = keys.emailKey.map { KeyHash($0) }
                    table.rows[position].phoneKey = keys.phoneKey.map { KeyHash($0) }
                }
                table.rows[position].highlevelId = keys.highlevelId
            }
            if table.rows.contains(where: { $0.highlevelId != nil }) { index.indexIds() }
            context = PlanContext(index: index, links: links, policy: policy, sent: sent)
            phases.mark("links and pending keys")
            triage = context.triage(table)
            if stateful {
                next = Self.state(of: triage, table: table, index: index, importId: imports[0].id, mask: mask)
                rowIds = table.rows.map(\.rowId)
            }
        }
        next?.positions = start
        phases.mark("matching")
        // The records left to diff are read and diffed a batch at a time, and what both sides
        // agree on is recorded per batch: memory stays bounded even on a first sync, when every
        // pair is read. The next batch is read while this one is diffed.
        var diffed = 0
        // (Records the incremental triage read and parsed are in memory already: one batch.)
        let batchSize = records.parsedRows != nil && records.parsedContacts != nil ? max(Self.batchSize, triage.work.count) : Self.batchSize
        let batches = stride(from: 0, to: triage.work.count, by: batchSize).map {
            triage.work[$0..<min($0 + batchSize, triage.work.count)]
        }
        // Pairs whose base is known to equal one side are diffed without reading it.
        let baseSides = context.baseSides
        let read = { (batch: ArraySlice<PlanContext.Triage.Work>) -> Background<BatchRecords> in
            let rowIds = batch.compactMap(\.rowId)
            let contacts = batch.compactMap(\.contact)
            let base = batch.compactMap(\.pairContact).filter { baseSides[$0] == nil }.map { index.ids[Int($0)] }
            let unseen = batch.compactMap { work -> Int32? in
                guard case .unseen(let contact, .new) = work else { return nil }
                return contact
            }
            let keysOnly = Set(batch.compactMap { work -> Int32? in
                guard case .unseen(let contact, _) = work else { return nil }
                return contact
            })
            return Background { [records, index] in
                try Self.readBatch(
                    database, rowIds: rowIds, known: known, index: index, contacts: contacts, base: base, unseen: unseen, keysOnly: keysOnly,
                    records: records)
            }
        }
        // What a batch's pairs agree on is written while the next batch is diffed (a first sync
        // agrees on every field of every pair: most of its time). Each contact is in one pair of
        // one batch, so no batch reads what another writes; one write at a time, in order.
        var agreed = Set<String>()
        var reading = batches.first.map(read)
        var recording: Background<Void>?
        for (number, listed) in batches.enumerated() {
            guard let current = try reading?.wait() else { break }
            reading = number + 1 < batches.count ? read(batches[number + 1]) : nil
            var batch = listed
            Self.markAgreed(&batch, agreed: current.agreedUnseen, ids: index.ids)
            context.base = current.base
            try context.finishSideBySide(batch, rows: current.rows, contacts: current.contacts)
            // A full plan knows the keys of the contacts no row speaks for once their batch is read.
            if !incremental, next != nil { Self.keepUnseenKeys(batch, contacts: current.contacts, index: index, into: &next) }
            diffed += batch.filter { $0.pairContact != nil }.count
            let agreements = context.takeAgreements()
            for agreement in agreements { agreed.insert(agreement.contactId) }
            try recording?.wait()
            recording = agreements.isEmpty ? nil : Background { [base = current.base] in try database.recordAgreements(agreements, knownBase: base) }
            Self.freeElsewhere(current)
        }
        try recording?.wait()
        phases.mark("reading and diffing \(diffed) pairs, \(triage.work.count - diffed) other records")
        if var state = next {
            try Self.absorb(agreed, into: &state, rowIds: rowIds, database: database, mask: mask)
            next = state
            phases.mark("absorb")
        }
        // The state is kept, and the WAL this plan wrote copied into the database, while the
        // changes are sorted and the notes planned (not when the mirror is closed).
        let keeping = Background { [next] in
            if let next { try database.savePlanState(next) }
            // Only a head start: what this could not copy, the mirror's closing copies.
            _ = try? database.copyWALIntoDatabase()
        }
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
        // slowest step of a large plan), as bytes (joined strings cost 2 µs a change), as the
        // change was made (`PlanChanges`), then put in that order in place: copying each change
        // into a new array cost as much as the sort on a first sync's hundred thousand changes.
        var (changes, keys) = context.changes.take()
        if changes.contains(where: { !direction.includes($0.target) }) {
            let kept = changes.indices.filter { direction.includes(changes[$0].target) }
            (changes, keys) = (kept.map { changes[$0] }, kept.map { keys[$0] })
        }
        changes.permute(into: Self.order(of: keys))
        for position in changes.indices { changes[position].id = position + 1 }
        let header = ChangeSetHeader(
            planId: UUID().uuidString.lowercased(), created: Timestamp.format(now), workspace: workspace, direction: direction.rawValue,
            mirrorFingerprint: index.fingerprint, mirrorContacts: next?.fingerprint.count ?? index.count, inputs: inputs, policies: policy.summary)
        let set = ChangeSet(header: header, changes: changes)
        phases.mark("sorting")
        try keeping.wait()
        phases.mark("keeping the state")
        try database.recordRun(
            kind: "plan", mode: direction.rawValue, startedAt: now, status: "ok",
            counts: [
                "changes": changes.count, "conflicts": changes.indices.count { changes[$0].conflict != nil }, "matched": triage.matched, "diffed": diffed,
            ])
        phases.mark("run recorded")
        if keepsWorkUntilExit { KeptUntilExit.keep(Unexamined((context, triage, records, index, table, next, rowIds))) }
        return (set, Statistics(matchedPairs: triage.matched, pairsDiffed: diffed, incremental: incremental))
    }

    /// Reads the contact index, the base's digests and the rows' keys and digests side by side.
    static func loadIndexes(_ database: MirrorDatabase, imports: [Int64], mask: UInt32?) throws -> (ContactIndex, RowTable) {
        let superseded = try database.supersededSourceIds(imports: imports)
        let loaded = Mutex<(index: ContactIndex?, base: BaseDigestList?, table: RowTable?, error: (any Error)?)>((nil, nil, nil, nil))
        sideBySide(3) { part in
            do {
                switch part {
                case 0:
                    let index = try database.contactIndex(mask: mask)
                    loaded.withLock { $0.index = index }
                case 1:
                    let base = try database.baseDigestList(mask: mask)
                    loaded.withLock { $0.base = base }
                default:
                    var table = RowTable()
                    for id in imports { try database.rowDigests(importId: id, leavingOut: superseded[id] ?? [], into: &table) }
                    loaded.withLock { [table] in $0.table = table }
                }
            } catch {
                loaded.withLock { $0.error = error }
            }
        }
        let result = loaded.withLock { $0 }
        if let error = result.error { throw error }
        var index = result.index ?? ContactIndex()
        index.attachBase(result.base ?? BaseDigestList())
        return (index, result.table ?? RowTable())
    }

    /// The positions of `keys` in the keys' byte order (equal keys in position order, so any sort
    /// gives the same order): two halves sorted side by side, then merged.
    static func order(of keys: [[UInt8]]) -> [Int] {
        guard keys.count >= 4_096 else { return sorted(0..<keys.count, by: keys) }
        let middle = keys.count / 2
        let upper = Background { sorted(middle..<keys.count, by: keys) }
        let lower = sorted(0..<middle, by: keys)
        // The work cannot throw: a failure to wait is a cancelled thread, and the half is sorted here.
        let higher = (try? upper.wait()) ?? sorted(middle..<keys.count, by: keys)
        var merged: [Int] = []
        merged.reserveCapacity(keys.count)
        var (i, j) = (0, 0)
        while i < lower.count, j < higher.count {
            if precedes(higher[j], lower[i], in: keys) {
                merged.append(higher[j])
                j += 1
            } else {
                merged.append(lower[i])
                i += 1
            }
        }
        merged += lower[i...]
        merged += higher[j...]
        return merged
    }

    private static func sorted(_ positions: Range<Int>, by keys: [[UInt8]]) -> [Int] {
        positions.sorted { precedes($0, $1, in: keys) }
    }

    /// Whether the key at `a` comes before the one at `b`: by bytes, then by position.
    private static func precedes(_ a: Int, _ b: Int, in keys: [[UInt8]]) -> Bool {
        let order = keys[a].withUnsafeBytes { x in keys[b].withUnsafeBytes { y in bytesCompare(x, y) } }
        return order != 0 ? order < 0 : a < b
    }

    /// The order of a plan's changes: target, entity, operation, record key, then what they write
    /// (several notes of one contact), as UTF-8 (byte order is Unicode scalar order) separated by NUL.
    static func sortKey(_ change: Change) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(96)
        func add(_ text: String?, _ separator: UInt8 = 0) {
            if let text { key.append(contentsOf: text.utf8) }
            key.append(separator)
        }
        add(change.target.rawValue)
        add(change.entity.rawValue)
        add(change.op.rawValue)
        add(change.key.highlevelId, 0x1F)
        add(change.key.localiqId, 0x1F)
        add(change.key.email, 0x1F)
        add(change.key.phone)
        // (Only notes and tasks name an activity or a note: contacts' and tags' changes write fields.)
        if change.entity == .note || change.entity == .task, let id = change.after["activity_id"]?.string ?? change.after["note_id"]?.string {
            key.append(contentsOf: id.utf8)
        } else {
            for (position, field) in change.fields.enumerated() { add(field.field, position + 1 < change.fields.count ? UInt8(ascii: ",") : 0) }
        }
        return key
    }
}

extension Array {
    /// Reorders the elements in place so that position `k` holds the element that was at
    /// `order[k]` (`order` a permutation of the indices), by swaps along the permutation's cycles.
    /// (The swaps move elements through a buffer pointer: an array's `swapAt` copies them,
    /// retaining and releasing every reference a change holds.)
    mutating func permute(into order: [Int]) {
        var placed = [Bool](repeating: false, count: count)
        withUnsafeMutableBufferPointer { elements in
            for start in elements.indices where !placed[start] {
                var current = start
                while true {
                    placed[current] = true
                    let next = order[current]
                    if next == start { break }
                    elements.swapAt(current, next)
                    current = next
                }
            }
        }
    }
}
