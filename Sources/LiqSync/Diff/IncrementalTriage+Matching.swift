import Foundation

// Pairing tonight's rows with last night's, and matching a row again from its keys.
extension IncrementalTriage {
    /// For each new row, the old row it is paired with (-1: none), and which old rows are paired:
    /// rows with the same content hash, in order where the two files agree (an export keeps its
    /// order from night to night: a row edited, added or dropped leaves the rest in step), then by
    /// hash among the rest. (Over buffers: a million rows a night.)
    static func align(old: [UInt64], new: [UInt64]) -> (paired: [Int32], usedOld: [Bool]) {
        var paired = [Int32](repeating: -1, count: new.count)
        var usedOld = [Bool](repeating: false, count: old.count)
        var leftover: [Int] = []
        let window = 8
        old.withUnsafeBufferPointer { old in
            new.withUnsafeBufferPointer { new in
                paired.withUnsafeMutableBufferPointer { paired in
                    usedOld.withUnsafeMutableBufferPointer { usedOld in
                        var i = 0
                        var j = 0
                        while j < new.count {
                            if i < old.count, old[i] == new[j] {
                                paired[j] = Int32(i)
                                usedOld[i] = true
                                i += 1
                                j += 1
                                continue
                            }
                            // Rows dropped from the old file: the new row is a little further on there.
                            if let skip = (1...window).first(where: { i + $0 < old.count && old[i + $0] == new[j] }) {
                                paired[j] = Int32(i + skip)
                                usedOld[i + skip] = true
                                i += skip + 1
                                j += 1
                                continue
                            }
                            // Rows added to the new file: the old row is a little further on here.
                            if i < old.count, let skip = (1...window).first(where: { j + $0 < new.count && new[j + $0] == old[i] }) {
                                leftover += j..<(j + skip)
                                paired[j + skip] = Int32(i)
                                usedOld[i] = true
                                i += 1
                                j += skip + 1
                                continue
                            }
                            // An edited row: neither side pairs here.
                            leftover.append(j)
                            i += 1
                            j += 1
                        }
                    }
                }
            }
        }
        guard !leftover.isEmpty else { return (paired, usedOld) }
        var unpaired: [UInt64: [Int32]] = [:]
        for position in old.indices.reversed() where !usedOld[position] { unpaired[old[position], default: []].append(Int32(position)) }
        for position in leftover {
            guard let at = unpaired[new[position]]?.popLast() else { continue }
            paired[position] = at
            usedOld[Int(at)] = true
        }
        return (paired, usedOld)
    }

    /// What the next state keeps of the watches and candidates: watches of rows followed
    /// unchanged stay (while a row with the watch's hash was followed unchanged), and re-matched
    /// rows bring their own; ambiguous rows keep their candidates.
    static func carried(
        state: PlanState, hashes: [UInt64], dirty: [Bool], matched: [Int64], newWatches: [(key: KeyHash, row: Int)], newCandidates: [Int: [Int64]]
    ) -> (watches: [PlanState.Watch], candidates: [UInt64: [Int64]]) {
        var followed = Set<UInt64>()
        if !state.watches.isEmpty {
            let watched = Set(state.watches.map(\.row))
            for position in hashes.indices where !dirty[position] && watched.contains(hashes[position]) { followed.insert(hashes[position]) }
        }
        var watches = state.watches.filter { followed.contains($0.row) }
        watches += newWatches.map { PlanState.Watch(key: $0.key, row: hashes[$0.row]) }
        var candidates: [UInt64: [Int64]] = [:]
        for position in matched.indices where matched[position] == PlanState.ambiguous {
            candidates[hashes[position]] = newCandidates[position] ?? state.candidates[hashes[position]] ?? []
        }
        return (watches, candidates)
    }

    /// The contacts a row of the state was a quiet pair with: row, contact and base then agreed
    /// in every field the rows speak for (`PlanState.quietMeansAgreed`; otherwise none).
    static func quietBefore(state: PlanState) -> ContactFlags {
        var quiet = ContactFlags(bound: state.contacts.max() ?? 0)
        guard state.quietMeansAgreed else { return quiet }
        for position in 0..<state.rowCount where state.contacts[position] >= 0 && state.quiet(position) { quiet.insert(state.contacts[position]) }
        return quiet
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

/// A set of contact rowids below a bound, as one flag per rowid, with its members listed.
struct ContactSet {
    private var flags: [Bool]
    private(set) var members: [Int64] = []

    init(bound: Int64) { flags = [Bool](repeating: false, count: Int(bound) + 1) }

    func contains(_ rowid: Int64) -> Bool { rowid >= 0 && rowid < flags.count && flags[Int(rowid)] }

    mutating func insert(_ rowid: Int64) {
        guard rowid >= 0 else { return }
        if rowid >= flags.count { flags += [Bool](repeating: false, count: Int(rowid) + 1 - flags.count) }
        guard !flags[Int(rowid)] else { return }
        flags[Int(rowid)] = true
        members.append(rowid)
    }

    mutating func formUnion(_ other: ContactSet) { for rowid in other.members { insert(rowid) } }
}

/// A set of contact rowids as one flag per rowid, without a list of its members (for a set of
/// most contacts, built in one pass).
struct ContactFlags: Sendable {
    private var flags: [Bool]

    init(bound: Int64) { flags = [Bool](repeating: false, count: Int(max(bound, 0)) + 1) }

    func contains(_ rowid: Int64) -> Bool { rowid >= 0 && rowid < flags.count && flags[Int(rowid)] }

    /// Rowids from 0 up to the bound given at the start.
    mutating func insert(_ rowid: Int64) {
        guard rowid >= 0, rowid < flags.count else { return }
        flags[Int(rowid)] = true
    }
}
