import Foundation
import Synchronization

/// The plan's records read and diffed a batch at a time: what a batch reads, and how it is let go.
extension Planner {
    /// Contacts no row speaks for that were paired with a LocaliQ record before (values agreed
    /// with one are in the base) are gone from the export, not new: writing them into LocaliQ's
    /// import files would bring back a record LocaliQ deleted, or double the records an empty or
    /// partial export left out. `agreed`: the ids of a batch's unseen contacts that have a base.
    static func markAgreed(_ batch: inout ArraySlice<PlanContext.Triage.Work>, agreed: Set<String>, ids: ContactIds) {
        guard !agreed.isEmpty else { return }
        for position in batch.indices {
            guard case .unseen(let contact, .new) = batch[position], agreed.contains(ids[Int(contact)]) else { continue }
            batch[position] = .unseen(contact: contact, state: .agreed)
        }
    }

    /// Hands the last reference to a batch's records to another thread, which frees them there:
    /// freeing thousands of records' dictionaries took the planning thread 5–10 ms a batch.
    static func freeElsewhere(_ records: consuming BatchRecords) {
        DispatchQueue(label: "liqsync.free").async { [records] in withExtendedLifetime(records) {} }
    }

    /// Records read and diffed in full at a time.
    static let batchSize = 5_000

    /// The records of one batch of the triage's work, read in full.
    struct BatchRecords: Sendable {
        var rows: [Int64: PlanRow]
        /// By rowid.
        var contacts: [Int64: PlanContact]
        var base: [String: [String: JSON]]
        /// Of the batch's unseen contacts (as new), those with a base.
        var agreedUnseen: Set<String>
    }

    /// A batch's rows, contacts (by rowid) and base values (and which of its unseen
    /// contacts have a base), read side by side; the rows and contacts the incremental triage read
    /// already are taken from `records`. Of the contacts in `keysOnly` (no row speaks for them: a
    /// report names them by their keys), the values are read only for those that turn out new to
    /// LocaliQ (unseen as new, without a base): a nightly plan reports thousands gone from the export.
    static func readBatch(
        _ database: MirrorDatabase, rowIds: [Int64], known: KnownFields, index: ContactIndex, contacts wanted: [Int32], base baseIds: [String],
        unseen: [Int32], keysOnly: Set<Int32> = [], records: IncrementalTriage.Records
    ) throws -> BatchRecords {
        let read = Mutex<(records: BatchRecords, error: (any Error)?)>((BatchRecords(rows: [:], contacts: [:], base: [:], agreedUnseen: []), nil))
        sideBySide(3) { part in
            do {
                switch part {
                case 0:
                    // What was parsed ahead as it is (not copied entry by entry), and the rest.
                    var rows = records.parsedRows?.values() ?? [:]
                    var missing: [Int64] = []
                    for rowId in rowIds where rows.index(forKey: rowId) == nil {
                        if let row = records.rows[rowId]?.planRow(rowId: rowId, known: known) {
                            rows[rowId] = row
                        } else {
                            missing.append(rowId)
                        }
                    }
                    rows.merge(try database.planRows(rowIds: missing, known: known)) { taken, _ in taken }
                    read.withLock { [rows] in $0.records.rows = rows }
                case 1:
                    // By rowid: what was parsed ahead as it is (a contact in `keysOnly` without
                    // its values already), not made entry by entry into a map of its own, which
                    // kept one core busy here while the other waited; and the rest. (The triage
                    // built the index from the same contacts, so a rowid names the same contact.)
                    var contacts = records.parsedContacts?.values() ?? [:]
                    var missing: [Int32] = []
                    for position in wanted where contacts.index(forKey: index.rowids[Int(position)]) == nil {
                        let rowid = index.rowids[Int(position)]
                        if let facts = records.contacts[rowid], index.ids.equals(Int(position), facts.id),
                            let read = keysOnly.contains(position) ? facts.keysOnly : facts.planContact
                        {
                            contacts[rowid] = read
                        } else {
                            missing.append(position)
                        }
                    }
                    try readContacts(missing, index: index, database: database, into: &contacts)
                    read.withLock { [contacts] in $0.records.contacts = contacts }
                default:
                    let base = try database.baseValues(contactIds: baseIds)
                    let agreed = try database.contactsWithBase(unseen.map { index.ids[Int($0)] })
                    read.withLock { $0.records.base = base; $0.records.agreedUnseen = agreed }
                }
            } catch {
                read.withLock { $0.error = error }
            }
        }
        var result = read.withLock { $0 }
        if let error = result.error { throw error }
        // Unseen contacts new to LocaliQ are written to its import files: those need their values.
        let valued = unseen.filter {
            !result.records.agreedUnseen.contains(index.ids[Int($0)]) && result.records.contacts[index.rowids[Int($0)]]?.values.isEmpty == true
        }
        guard !valued.isEmpty else { return result.records }
        var missing: [Int32] = []
        for position in valued {
            let rowid = index.rowids[Int(position)]
            if let facts = records.contacts[rowid], index.ids.equals(Int(position), facts.id), let read = facts.planContact {
                result.records.contacts[rowid] = read
            } else {
                missing.append(position)
            }
        }
        try readContacts(missing, index: index, database: database, into: &result.records.contacts)
        return result.records
    }

    /// The contacts at `positions` in `index`, read from the mirror into `contacts` (by rowid).
    private static func readContacts(_ positions: [Int32], index: ContactIndex, database: MirrorDatabase, into contacts: inout [Int64: PlanContact]) throws {
        guard !positions.isEmpty else { return }
        let wanted = positions.map { (id: index.ids[Int($0)], rowid: index.rowids[Int($0)]) }
        let read = try database.planContacts(wanted)
        for entry in wanted {
            if let contact = read[entry.id] { contacts[entry.rowid] = contact }
        }
    }
}
