import Foundation

// What the incremental triage reads in full and hands on to the diff, and the parsing of it
// ahead of the diff.
extension IncrementalTriage {
    /// A contact as the incremental triage reads it. A class: the triage and the diff pass tens of
    /// thousands of these through dictionaries, and copying a struct of seven references retained
    /// each of them (a fifth of the triage's own time).
    final class Facts: Sendable {
        let id: String
        let emailKey: String?
        let phoneKey: String?
        let updated: String?
        let deletedAt: String?
        /// The stored digests, folded like the full plan's (nil: none stored).
        let digests: [UInt64]?
        /// The contact's raw JSON, when read for the diff.
        let raw: [UInt8]?
        var deleted: Bool { deletedAt != nil }

        init(id: String, emailKey: String?, phoneKey: String?, updated: String?, deletedAt: String?, digests: [UInt64]?, raw: [UInt8]?) {
            (self.id, self.emailKey, self.phoneKey, self.updated, self.deletedAt) = (id, emailKey, phoneKey, updated, deletedAt)
            (self.digests, self.raw) = (digests, raw)
        }

        /// The contact without its values, for a report that names it by its keys (nil: its raw JSON was not read).
        var keysOnly: PlanContact? {
            guard raw != nil else { return nil }
            return PlanContact(id: id, emailKey: emailKey, phoneKey: phoneKey, dateUpdated: updated, deleted: deleted, values: [:])
        }

        /// The contact as the diff reads it (nil: its raw JSON was not read).
        var planContact: PlanContact? {
            guard let raw else { return nil }
            return PlanContact(
                id: id, emailKey: emailKey, phoneKey: phoneKey, dateUpdated: updated, deleted: deleted,
                synced: raw.withUnsafeBytes { MirrorDatabase.synced(raw: $0) })
        }
    }

    /// The contacts and rows the triage read in full, by rowid and row id: the diff takes them
    /// from here instead of reading them again.
    struct Records: Sendable {
        var contacts: [Int64: Facts] = [:]
        var rows: [Int64: MirrorDatabase.StoredRow] = [:]
        /// The same rows and contacts parsed as the diff reads them, on the other core while the
        /// triage goes on (nil: left to the diff). By row id and by contact rowid.
        var parsedRows: Background<[Int64: PlanRow]>?
        var parsedContacts: Background<[Int64: PlanContact]>?
    }

    /// Records parsed ahead of the diff at most: past this (a night of many changes), they are
    /// parsed a batch at a time as the diff reads them, so that they are not all held at once.
    static let parsedAheadLimit = 40_000

    /// The rows read in full, parsed as the diff reads them on another core (nil: more than are
    /// parsed ahead).
    static func parsingAhead(
        _ rows: [Int64: MirrorDatabase.StoredRow], known: @escaping @Sendable (Int64, [String: JSON]) -> Set<String>
    ) -> Background<[Int64: PlanRow]>? {
        guard rows.count <= parsedAheadLimit else { return nil }
        return Background {
            var parsed: [Int64: PlanRow] = [:]
            parsed.reserveCapacity(rows.count)
            for (rowId, row) in rows { parsed[rowId] = row.planRow(rowId: rowId, known: known) }
            return parsed
        }
    }

    /// The contacts read in full but `except`, parsed as the diff reads them on another core
    /// (nil: more than are parsed ahead).
    static func parsingAhead(_ contacts: [Int64: Facts], except: Set<Int64>) -> Background<[Int64: PlanContact]>? {
        guard contacts.count <= parsedAheadLimit else { return nil }
        return Background {
            var parsed: [Int64: PlanContact] = [:]
            parsed.reserveCapacity(contacts.count)
            for (rowid, contact) in contacts where !except.contains(rowid) { parsed[rowid] = contact.planContact }
            return parsed
        }
    }
}
