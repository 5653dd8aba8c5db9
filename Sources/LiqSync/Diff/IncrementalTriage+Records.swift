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
        /// Taken from the last plan's state (`PlanState.unseenKeys`), not read: its keys only.
        let fromState: Bool
        var deleted: Bool { deletedAt != nil }

        init(id: String, emailKey: String?, phoneKey: String?, updated: String?, deletedAt: String?, digests: [UInt64]?, raw: [UInt8]?) {
            (self.id, self.emailKey, self.phoneKey, self.updated, self.deletedAt) = (id, emailKey, phoneKey, updated, deletedAt)
            (self.digests, self.raw, fromState) = (digests, raw, false)
        }

        /// An unchanged contact no row speaks for, as the last plan's state knew it.
        init(_ keys: PlanState.UnseenKeys) {
            (id, emailKey, phoneKey, updated, deletedAt) = (keys.id, keys.emailKey, keys.phoneKey, nil, keys.deleted ? "" : nil)
            (digests, raw, fromState) = (nil, nil, true)
        }

        /// What the next state keeps of it while no row speaks for it.
        var unseenKeys: PlanState.UnseenKeys { PlanState.UnseenKeys(id: id, emailKey: emailKey, phoneKey: phoneKey, deleted: deleted) }

        /// The contact without its values, for a report that names it by its keys (nil: neither
        /// its raw JSON was read nor its keys taken from the state).
        var keysOnly: PlanContact? {
            guard raw != nil || fromState else { return nil }
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
        /// triage goes on, and joined by the diff for what is left (nil: left to the diff). By row
        /// id and by contact rowid; the contacts no row speaks for without their values.
        var parsedRows: JoinableMap<Int64, MirrorDatabase.StoredRow, PlanRow>?
        var parsedContacts: JoinableMap<Int64, Facts, PlanContact>?
    }

    /// Records parsed ahead of the diff at most: past this (a night of many changes), they are
    /// parsed a batch at a time as the diff reads them, so that they are not all held at once.
    static let parsedAheadLimit = 40_000

    /// The rows read in full, parsed as the diff reads them on another core (nil: more than are
    /// parsed ahead).
    static func parsingAhead(
        _ rows: [Int64: MirrorDatabase.StoredRow], known: KnownFields
    ) -> JoinableMap<Int64, MirrorDatabase.StoredRow, PlanRow>? {
        guard rows.count <= parsedAheadLimit else { return nil }
        return JoinableMap(rows.map { ($0.key, $0.value) }) { rowId, row in row.planRow(rowId: rowId, known: known) }
    }

    /// The contacts read in full, parsed as the diff reads them on another core: those in
    /// `keysOnly` (no row speaks for them: a report names them by their keys) without their values
    /// (nil: more than are parsed ahead).
    static func parsingAhead(_ contacts: [Int64: Facts], keysOnly: Set<Int64>) -> JoinableMap<Int64, Facts, PlanContact>? {
        guard contacts.count <= parsedAheadLimit else { return nil }
        return JoinableMap(contacts.map { ($0.key, $0.value) }) { rowid, contact in keysOnly.contains(rowid) ? contact.keysOnly : contact.planContact }
    }
}
