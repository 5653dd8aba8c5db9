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
        var contacts: [String: PlanContact]
        var base: [String: [String: JSON]]
        /// Of the batch's unseen contacts (as new), those with a base.
        var agreedUnseen: Set<String>
    }

    /// A batch's rows, contacts and base values (and which of its unseen contacts have a base),
    /// read side by side; the rows and contacts the incremental triage read already are taken
    /// from `records`. Of the contacts in `keysOnly` (no row speaks for them: a report names
    /// them by their keys), the values are read only for those that turn out new to LocaliQ
    /// (unseen as new, without a base): a nightly plan reports thousands gone from the export.
    static func readBatch(
        _ database: MirrorDatabase, rowIds: [Int64], known: KnownFields,
        contacts wanted: [(id: String, rowid: Int64)], base baseIds: [String], unseen: [String], keysOnly: Set<String> = [],
        records: IncrementalTriage.Records
    ) throws -> BatchRecords {
        let read = Mutex<(records: BatchRecords, error: (any Error)?)>((BatchRecords(rows: [:], contacts: [:], base: [:], agreedUnseen: []), nil))
        sideBySide(3) { part in
            do {
                switch part {
                case 0:
                    var rows: [Int64: PlanRow] = [:]
                    var missing: [Int64] = []
                    let parsed = records.parsedRows?.values() ?? [:]
                    for rowId in rowIds {
                        if let row = parsed[rowId] ?? records.rows[rowId]?.planRow(rowId: rowId, known: known) {
                            rows[rowId] = row
                        } else {
                            missing.append(rowId)
                        }
                    }
                    rows.merge(try database.planRows(rowIds: missing, known: known)) { taken, _ in taken }
                    read.withLock { [rows] in $0.records.rows = rows }
                case 1:
                    var contacts: [String: PlanContact] = [:]
                    var missing: [(id: String, rowid: Int64)] = []
                    let parsed = records.parsedContacts?.values() ?? [:]
                    for contact in wanted {
                        if let facts = records.contacts[contact.rowid], facts.id == contact.id,
                            let read = keysOnly.contains(contact.id) ? facts.keysOnly : parsed[contact.rowid] ?? facts.planContact
                        {
                            contacts[contact.id] = read
                        } else {
                            missing.append(contact)
                        }
                    }
                    contacts.merge(try database.planContacts(missing)) { taken, _ in taken }
                    read.withLock { [contacts] in $0.records.contacts = contacts }
                default:
                    let base = try database.baseValues(contactIds: baseIds)
                    let agreed = try database.contactsWithBase(unseen)
                    read.withLock { $0.records.base = base; $0.records.agreedUnseen = agreed }
                }
            } catch {
                read.withLock { $0.error = error }
            }
        }
        var result = read.withLock { $0 }
        if let error = result.error { throw error }
        // Unseen contacts new to LocaliQ are written to its import files: those need their values.
        let valued = unseen.filter { !result.records.agreedUnseen.contains($0) && result.records.contacts[$0]?.values.isEmpty == true }
        guard !valued.isEmpty else { return result.records }
        let rowids = Dictionary(wanted.map { ($0.id, $0.rowid) }, uniquingKeysWith: { first, _ in first })
        var missing: [(id: String, rowid: Int64)] = []
        for id in valued {
            guard let rowid = rowids[id] else { continue }
            if let facts = records.contacts[rowid], facts.id == id, let read = facts.planContact {
                result.records.contacts[id] = read
            } else {
                missing.append((id, rowid))
            }
        }
        result.records.contacts.merge(try database.planContacts(missing)) { _, read in read }
        return result.records
    }
}
