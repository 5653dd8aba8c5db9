import Foundation

/// One linked pair, field by field: the three-way rules, policies, tags as sets, new records.
extension PlanContext {
    func key(_ row: PlanRow) -> RecordKey {
        RecordKey(localiqId: row.sourceId, email: row.emailKey, phone: row.phoneKey)
    }

    /// A LocaliQ row no contact matches: a create in HighLevel, unless it is archived.
    mutating func planNew(_ row: PlanRow) {
        if row.fields["archived"] != nil {
            changes.append(Change(target: .highlevel, entity: .contact, op: .report, key: key(row), reason: "archived in LocaliQ and not in HighLevel; not created"))
            return
        }
        var after: [String: JSON] = [:]
        for (position, field) in SyncField.all.enumerated() {
            if let value = row.synced[position], let comparable = field.comparable(value) {
                after[field.name] = field.comparison == .tags ? comparable : value
            }
        }
        if let phone = row.phoneKey { after["phone"] = .string(phone) }
        changes.append(Change(target: .highlevel, entity: .contact, op: .create, key: key(row), after: after, reason: "new in LocaliQ"))
        if let id = row.sourceId { createdFrom.insert(id) }
    }

    func comparableValues(_ values: [String: JSON]) -> [String: JSON] {
        var result: [String: JSON] = [:]
        for field in SyncField.all {
            if let value = values[field.name], field.comparable(value) != nil { result[field.name] = value }
        }
        return result
    }

    /// One linked pair, field by field. `baseSide`: the side whose values the base equals (the
    /// base is then not looked up).
    mutating func diff(contact: PlanContact, row: PlanRow, baseSide: ChangeTarget? = nil) {
        let key = RecordKey(highlevelId: contact.id, localiqId: row.sourceId, email: row.emailKey ?? contact.emailKey, phone: row.phoneKey ?? contact.phoneKey)
        let agreed = baseSide == nil ? self.base[contact.id] ?? [:] : [:]
        /// A field's agreed value, given both sides' (`.null` when agreed empty, nil when never agreed).
        func agreedValue(_ field: SyncField, highlevel: JSON?, localiq: JSON?) -> JSON? {
            switch baseSide {
            case .highlevel?: highlevel ?? .null
            case .localiq?: localiq ?? .null
            case nil: agreed[field.name]
            }
        }
        if row.fields["archived"] != nil {
            changes.append(
                Change(
                    target: .highlevel, entity: .contact, op: policy.propagateDeletes ? .delete : .report, key: key,
                    reason: "archived in LocaliQ" + (policy.propagateDeletes ? "" : "; kept in HighLevel (propagate_deletes is off)")))
            // Still a pair: what both sides hold alike is agreed, so that once the archived record
            // leaves the export the contact is known as gone from LocaliQ, not planned as new to it.
            for (position, field) in SyncField.all.enumerated() where row.knownFields & 1 << position != 0 && field.comparison != .tags {
                let (highlevelValue, localiqValue) = (contact.synced[position], row.synced[position])
                guard let h = field.comparable(highlevelValue), h == field.comparable(localiqValue) else { continue }
                let baseValue = agreedValue(field, highlevel: highlevelValue, localiq: localiqValue)
                if baseValue == nil || field.comparable(baseValue) != h { agreements.append((contact.id, field.name, h)) }
            }
            return
        }
        // A field without an agreed value (never synced, or new in the mapping) follows the
        // first-sync rules; the others are three-way.
        var toHighLevel: [FieldDiff] = []
        var toLocaliQ: [FieldDiff] = []
        var conflicts: [FieldDiff] = []
        var notWritable: [FieldDiff] = []
        var firstSyncFields = Set<String>()
        for (position, field) in SyncField.all.enumerated() where row.knownFields & 1 << position != 0 {
            // Each side's value taken by position (hashing the field names was a third of the diff).
            let highlevelValue = contact.synced[position]
            let localiqValue = row.synced[position]
            let baseValue = agreedValue(field, highlevel: highlevelValue, localiq: localiqValue)
            let firstSync = baseValue == nil
            if firstSync { firstSyncFields.insert(field.name) }
            // The same value on all three sides compares equal, and needs nothing: most fields
            // of a pair that differs somewhere. (Working out the compared forms — trimmed,
            // lower-cased, E.164 — of three values per field was most of a pair's diff.)
            // (Tags too: the same list on all three sides is the same set.)
            if !firstSync, let highlevelValue, highlevelValue == localiqValue, highlevelValue == baseValue { continue }
            let b = firstSync ? nil : field.comparable(baseValue)
            let h = field.comparable(highlevelValue)
            let l = field.comparable(localiqValue)
            if field.comparison == .tags {
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
            let diff = FieldDiff(field: field.name, base: b, highlevel: highlevelValue, localiq: localiqValue, proposed: nil)
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
                proposed.proposed = field.name == "phone" ? l : localiqValue
                toHighLevel.append(proposed)
            case .localiq?:
                var proposed = diff
                proposed.proposed = highlevelValue
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
