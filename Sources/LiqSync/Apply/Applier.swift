import Foundation
import Logging

/// Which side `apply` writes to.
public enum ApplyScope: String, Sendable, Codable, CaseIterable {
    case highlevel, localiq, both

    func includes(_ target: ChangeTarget) -> Bool { self == .both || rawValue == target.rawValue }
}

/// One change's outcome, as `success.csv`, `errors.csv` and `--json` report it.
public struct ApplyOutcome: Sendable, Codable, Equatable {
    public var changeId: Int
    public var target: String
    public var entity: String
    public var op: String
    public var recordId: String?
    /// `done`, `already-done`, `failed`, `stale`, or for a dry run `would-apply`.
    public var status: String
    public var message: String
}

/// What an apply did.
public struct ApplySummary: Sendable, Codable, Equatable {
    public var planId: String
    public var dryRun: Bool
    public var outcomes: [ApplyOutcome] = []
    public var exports: [String] = []
    public var successFile: String?
    public var errorsFile: String?
    /// Set when every applicable change is done (the plan is marked applied).
    public var complete = false

    func count(_ status: String) -> Int { outcomes.filter { $0.status == status }.count }
    public var done: Int { count("done") }
    public var alreadyDone: Int { count("already-done") }
    public var failed: Int { count("failed") }
    public var stale: Int { count("stale") }
    public var wouldApply: Int { count("would-apply") }
}

/// Why apply will not start.
public enum ApplyError: Error, LocalizedError, Equatable {
    case nothingAccepted(String)
    case inputsChanged(String)
    case needsClient

    public var errorDescription: String? {
        switch self {
        case .nothingAccepted(let path):
            "\(path) has no accepted change to apply; review it first ('liqsync review \(path) --accept …'). Conflicts also need --resolve."
        case .inputsChanged(let reason): "The plan is out of date: \(reason). Run 'liqsync plan' again and review the new plan."
        case .needsClient: "Applying to HighLevel needs a credential; run 'liqsync auth token' or 'liqsync auth login' first."
        }
    }
}

/// Carries out the accepted changes of a plan: to HighLevel through the API (paced, journaled,
/// each change once), to LocaliQ as import files in `exports/`.
public struct Applier: Sendable {
    public let database: MirrorDatabase
    public let client: HighLevelClient?
    public let exportsFolder: URL
    private let logger: Logger

    public init(database: MirrorDatabase, client: HighLevelClient?, exportsFolder: URL, logger: Logger = Logger(label: "liqsync.apply")) {
        self.database = database
        self.client = client
        self.exportsFolder = exportsFolder
        self.logger = logger
    }

    /// Applies `planURL`. `progress` gets (changes handled, changes to handle).
    public func run(
        _ planURL: URL, scope: ApplyScope = .both, dryRun: Bool = false, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> ApplySummary {
        let started = Date()
        let before = await client?.stats ?? ClientStats()
        func used() async -> ClientStats {
            let after = await client?.stats ?? ClientStats()
            var delta = ClientStats()
            delta.requests = after.requests - before.requests
            delta.throttled = after.throttled - before.throttled
            delta.retries = after.retries - before.retries
            return delta
        }
        do {
            let summary = try await applyPlan(planURL, scope: scope, dryRun: dryRun, progress: progress)
            if !dryRun {
                try database.recordRun(
                    kind: "apply", mode: scope.rawValue, startedAt: started, status: summary.failed > 0 ? "partial" : "ok", stats: await used(),
                    counts: ["done": summary.done, "failed": summary.failed, "stale": summary.stale])
            }
            return summary
        } catch {
            if !dryRun {
                try? database.recordRun(
                    kind: "apply", mode: scope.rawValue, startedAt: started, status: "failed", stats: await used(), message: error.localizedDescription)
            }
            throw error
        }
    }

    private func applyPlan(
        _ planURL: URL, scope: ApplyScope, dryRun: Bool, progress: (@Sendable (Int, Int) -> Void)?
    ) async throws -> ApplySummary {
        var set = try ChangeSetFile.read(planURL)
        let planId = set.header.planId
        let applicable = set.changes.filter { $0.isApplicable && scope.includes($0.target) }
        guard !applicable.isEmpty || set.changes.contains(where: { $0.isApplicable }) else { throw ApplyError.nothingAccepted(planURL.path) }
        let journal = try database.journal(planId: planId)
        if journal.isEmpty { try checkInputs(set.header) }
        if applicable.contains(where: { $0.target == .highlevel }), client == nil { throw ApplyError.needsClient }

        var summary = ApplySummary(planId: planId, dryRun: dryRun)
        var handled = 0
        for change in applicable where change.target == .highlevel {
            if let entry = journal[change.id], entry.status == .done || entry.status == .stale {
                summary.outcomes.append(outcome(change, entry.status == .done ? "already-done" : "stale", entry.recordId, entry.message ?? ""))
            } else {
                summary.outcomes.append(try await applyToHighLevel(change, planId: planId, dryRun: dryRun))
            }
            handled += 1
            progress?(handled, applicable.count)
        }

        // LocaliQ: the files are written whole (the same plan always gives the same files), then
        // every LocaliQ change in them is journaled. Resolved conflicts add their LocaliQ side.
        let toLocaliQ = Self.localiqRows(set.changes).filter { scope.includes(.localiq) && $0.isApplicable }
        let localiqIds = Set(set.changes.filter { $0.target == .localiq }.map(\.id))
        if !toLocaliQ.isEmpty {
            let own = toLocaliQ.filter { localiqIds.contains($0.id) }
            if dryRun {
                summary.outcomes += own.filter { journal[$0.id]?.status != .done }.map {
                    outcome($0, "would-apply", $0.key.localiqId, "would be written to the LocaliQ import files")
                }
            } else {
                let stem = planURL.deletingPathExtension().lastPathComponent
                summary.exports = try LocaliQExportWriter(folder: exportsFolder, stem: stem).write(toLocaliQ).map(\.path)
                try database.recordSentToLocaliQ(
                    own.filter { $0.op == .create && $0.entity == .contact }.compactMap(\.key.highlevelId)
                        + own.filter { $0.entity == .note }.compactMap { $0.after["note_id"]?.string.map { "note:" + $0 } }, planId: planId)
                for change in own {
                    if journal[change.id]?.status == .done {
                        summary.outcomes.append(outcome(change, "already-done", change.key.localiqId, journal[change.id]?.message ?? ""))
                        continue
                    }
                    let message = "written to the LocaliQ import files"
                    try database.recordOutcome(planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: change.key.localiqId, message: message))
                    summary.outcomes.append(outcome(change, "done", change.key.localiqId, message))
                }
            }
        }
        summary.outcomes.sort { $0.changeId < $1.changeId }
        if !dryRun {
            try writeReports(&summary, planURL: planURL)
            let everything = set.changes.filter(\.isApplicable)
            let finished = try database.journal(planId: planId)
            summary.complete = everything.allSatisfy { [.done, .stale].contains(finished[$0.id]?.status) }
            if summary.complete, set.header.applied == nil {
                set.header.applied = Timestamp.format(Date())
                try ChangeSetFile.write(set, to: planURL)
            }
        }
        return summary
    }

    private func checkInputs(_ header: ChangeSetHeader) throws {
        let fingerprint = try database.contactsFingerprint()
        if fingerprint.digest != header.mirrorFingerprint {
            throw ApplyError.inputsChanged("the mirror changed since planning (a pull or an apply ran)")
        }
        let current = Set(try database.currentImports().map(\.id))
        let planned = Set(header.inputs.map(\.importId))
        if !planned.isSubset(of: current) || !current.subtracting(planned).isEmpty {
            throw ApplyError.inputsChanged("LocaliQ files were imported since planning")
        }
    }

    func outcome(_ change: Change, _ status: String, _ recordId: String?, _ message: String) -> ApplyOutcome {
        ApplyOutcome(
            changeId: change.id, target: change.target.rawValue, entity: change.entity.rawValue, op: change.op.rawValue, recordId: recordId, status: status,
            message: message)
    }

    // MARK: HighLevel

    /// HighLevel's write shape for canonical values.
    static func highlevelFields(_ values: [String: JSON]) -> [String: JSON] {
        var fields: [String: JSON] = [:]
        for (name, value) in values {
            guard let field = SyncField.named(name), name != "tags" || value != .null else { continue }
            if name == "phone", let text = value.string { fields[field.highlevelKey] = .string(PhoneNumber.e164(text) ?? text) } else {
                fields[field.highlevelKey] = value == .null ? .string("") : value
            }
        }
        return fields
    }

    /// Fields whose value HighLevel did not keep.
    static func dropped(_ values: [String: JSON], by contact: Contact) -> [String] {
        values.compactMap { name, value in
            guard let field = SyncField.named(name), name != "tags" else { return nil }
            return field.comparable(contact.raw[field.highlevelKey]) == field.comparable(value) ? nil : name
        }.sorted()
    }

    /// Kinds of failure after which a change is tried again: each attempt reads the record first,
    /// so a write that did land (an answer lost on a cut connection) is seen, not repeated.
    static let transient: [APIError.Kind] = [.network, .server, .malformedResponse, .rateLimited]

    private func applyToHighLevel(_ change: Change, planId: String, dryRun: Bool) async throws -> ApplyOutcome {
        var attempt = 1
        while true {
            do {
                return try await attemptHighLevel(change, planId: planId, dryRun: dryRun)
            } catch let error as APIError where Self.transient.contains(error.kind) && attempt < 4 {
                logger.debug("retrying a change after a transient failure", metadata: ["change": "\(change.id)", "attempt": "\(attempt)"])
                attempt += 1
            } catch let error as APIError where Self.transient.contains(error.kind) {
                let message = error.errorDescription ?? "HighLevel did not answer"
                if !dryRun { try database.recordOutcome(planId: planId, JournalEntry(changeId: change.id, status: .failed, recordId: change.key.highlevelId, message: message)) }
                return outcome(change, "failed", change.key.highlevelId, message)
            }
        }
    }

    private func attemptHighLevel(_ change: Change, planId: String, dryRun: Bool) async throws -> ApplyOutcome {
        guard let client else { throw ApplyError.needsClient }
        do {
            switch (change.entity, change.op) {
            case (.contact, .create): return try await create(change, client: client, planId: planId, dryRun: dryRun)
            case (.contact, .update) where change.conflict?.kind == .ambiguousMatch:
                return try await link(change, planId: planId, dryRun: dryRun)
            case (.contact, .update): return try await update(change, client: client, planId: planId, dryRun: dryRun)
            case (.tags, .add), (.tags, .remove): return try await tags(change, client: client, planId: planId, dryRun: dryRun)
            case (.contact, .delete): return try await delete(change, client: client, planId: planId, dryRun: dryRun)
            case (.note, .create): return try await createNote(change, client: client, planId: planId, dryRun: dryRun)
            case (.task, .create): return try await createTask(change, client: client, planId: planId, dryRun: dryRun)
            case (.task, .update): return try await completeTask(change, client: client, planId: planId, dryRun: dryRun)
            default:
                return outcome(change, "failed", nil, "liqsync cannot apply \(change.entity.rawValue) \(change.op.rawValue) changes to HighLevel yet")
            }
        } catch let error as APIError {
            // Without a usable credential or budget no later change can succeed either: stop, the
            // journal keeps the place. Transient failures go back to the caller to try again.
            if [.unauthorized, .dailyLimitReached, .configuration].contains(error.kind) || Self.transient.contains(error.kind) { throw error }
            let message = error.errorDescription ?? "HighLevel refused the change"
            if !dryRun { try database.recordOutcome(planId: planId, JournalEntry(changeId: change.id, status: .failed, recordId: change.key.highlevelId, message: message)) }
            return outcome(change, "failed", change.key.highlevelId, message)
        }
    }

    /// A create looks for the person first (HighLevel's duplicate rules): found, it links instead.
    private func create(_ change: Change, client: HighLevelClient, planId: String, dryRun: Bool) async throws -> ApplyOutcome {
        let email = change.after["email"]?.string ?? change.key.email
        let phone = change.key.phone ?? change.after["phone"]?.string
        if email != nil || phone != nil, let existing = try await client.duplicateContact(email: email, phone: phone) {
            if dryRun { return outcome(change, "would-apply", existing.id, "would link to the existing contact \(existing.id)") }
            try database.recordOutcome(
                planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: existing.id, message: "linked to the existing contact"),
                contact: existing, link: change.key.localiqId.map { ($0, existing.id) })
            return outcome(change, "done", existing.id, "linked to the existing contact (not created twice)")
        }
        if dryRun { return outcome(change, "would-apply", nil, "would create the contact") }
        try database.recordOutcome(planId: planId, JournalEntry(changeId: change.id, status: .started, message: "create sent"))
        let created = try await client.createContact(Self.highlevelFields(change.after))
        let lost = Self.dropped(change.after, by: created)
        let message = lost.isEmpty ? "created" : "created; HighLevel did not keep: \(lost.joined(separator: ", "))"
        try database.recordOutcome(
            planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: created.id, message: message), contact: created,
            link: change.key.localiqId.map { ($0, created.id) }, agreed: Self.comparableAgreement(change.after, except: lost))
        return outcome(change, "done", created.id, message)
    }

    private func link(_ change: Change, planId: String, dryRun: Bool) async throws -> ApplyOutcome {
        guard let contactId = change.decision?.resolution?["link"]?.string, let localiqId = change.key.localiqId else {
            return outcome(change, "failed", nil, "an ambiguous match is applied only when resolved with ID=link:CONTACT_ID")
        }
        if dryRun { return outcome(change, "would-apply", contactId, "would link LocaliQ \(localiqId) to \(contactId)") }
        try database.recordOutcome(
            planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: contactId, message: "linked"), link: (localiqId, contactId))
        return outcome(change, "done", contactId, "linked")
    }

    /// An update is sent only while HighLevel still holds the plan's `before` values.
    private func update(_ change: Change, client: HighLevelClient, planId: String, dryRun: Bool) async throws -> ApplyOutcome {
        guard let id = change.key.highlevelId else { return outcome(change, "failed", nil, "the change names no HighLevel contact") }
        var values = change.after
        if let resolution = change.decision?.resolution, change.conflict != nil {
            values = resolution.filter { field, value in
                let diff = change.fields.first { $0.field == field }
                return SyncField.named(field)?.comparable(diff?.highlevel) != SyncField.named(field)?.comparable(value)
            }
            if values.isEmpty {
                if !dryRun {
                    try database.recordOutcome(
                        planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: id, message: "HighLevel already holds the chosen values"),
                        link: change.key.localiqId.map { ($0, id) }, agreed: Self.comparableAgreement(resolution, except: []))
                }
                return outcome(change, dryRun ? "would-apply" : "done", id, "HighLevel already holds the chosen values")
            }
        }
        let unwritable = values.keys.filter { SyncField.named($0)?.updatableInHighLevel == false }.sorted()
        values = values.filter { SyncField.named($0.key)?.updatableInHighLevel ?? false }
        let note = unwritable.isEmpty ? "" : "; \(unwritable.joined(separator: ", ")) cannot be changed through HighLevel's API (left as is)"
        if values.isEmpty {
            if !dryRun { try database.recordOutcome(planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: id, message: "nothing HighLevel can change" + note)) }
            return outcome(change, dryRun ? "would-apply" : "done", id, "nothing HighLevel can change" + note)
        }
        let current = try await client.contact(id)
        let currentValues = values.keys.map { field in (field, SyncField.named(field)?.comparable(current.raw[SyncField.named(field)?.highlevelKey ?? field])) }
        if currentValues.allSatisfy({ field, value in value == SyncField.named(field)?.comparable(values[field]) }) {
            if !dryRun {
                try database.recordOutcome(
                    planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: id, message: "already applied"), contact: current,
                    link: change.key.localiqId.map { ($0, id) }, agreed: Self.comparableAgreement(values, except: []))
            }
            return outcome(change, dryRun ? "would-apply" : "already-done", id, "HighLevel already holds these values")
        }
        let staleFields = change.before.keys.filter { values[$0] != nil }.filter { field in
            SyncField.named(field)?.comparable(current.raw[SyncField.named(field)?.highlevelKey ?? field]) != SyncField.named(field)?.comparable(change.before[field])
        }.sorted()
        if !staleFields.isEmpty {
            let message = "stale: \(staleFields.joined(separator: ", ")) changed in HighLevel since planning; re-plan to include it"
            if !dryRun { try database.recordOutcome(planId: planId, JournalEntry(changeId: change.id, status: .stale, recordId: id, message: message), contact: current) }
            return outcome(change, "stale", id, message)
        }
        if dryRun { return outcome(change, "would-apply", id, "would update " + values.keys.sorted().joined(separator: ", ")) }
        let updated = try await client.updateContact(id, Self.highlevelFields(values))
        let lost = Self.dropped(values, by: updated)
        let message = (lost.isEmpty ? "updated" : "updated; HighLevel did not keep: \(lost.joined(separator: ", "))") + note
        try database.recordOutcome(
            planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: id, message: message), contact: updated,
            link: change.key.localiqId.map { ($0, id) }, agreed: Self.comparableAgreement(values, except: lost))
        return outcome(change, "done", id, message)
    }

    /// Tags through the tags endpoints: only those still missing (add) or present (remove).
    private func tags(_ change: Change, client: HighLevelClient, planId: String, dryRun: Bool) async throws -> ApplyOutcome {
        guard let id = change.key.highlevelId else { return outcome(change, "failed", nil, "the change names no HighLevel contact") }
        let wanted = change.after["tags"]?.array?.compactMap(\.string) ?? []
        let current = try await client.contact(id)
        let present = Set(current.tags.map { $0.lowercased() })
        let pending = change.op == .add ? wanted.filter { !present.contains($0.lowercased()) } : wanted.filter { present.contains($0.lowercased()) }
        if pending.isEmpty {
            if !dryRun { try database.recordOutcome(planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: id, message: "already applied"), contact: current) }
            return outcome(change, dryRun ? "would-apply" : "already-done", id, "the tags are already as planned")
        }
        if dryRun { return outcome(change, "would-apply", id, "would \(change.op.rawValue) tags \(pending.joined(separator: ", "))") }
        _ = change.op == .add ? try await client.addTags(pending, to: id) : try await client.removeTags(pending, from: id)
        let refreshed = try await client.contact(id)
        let newTags = Set(refreshed.tags.map { $0.lowercased() })
        try database.recordOutcome(
            planId: planId, JournalEntry(changeId: change.id, status: .done, recordId: id, message: "tags \(change.op == .add ? "added" : "removed")"),
            contact: refreshed, link: change.key.localiqId.map { ($0, id) }, agreed: ["tags": .array(newTags.sorted().map(JSON.string))])
        return outcome(change, "done", id, "tags \(change.op == .add ? "added" : "removed"): \(pending.joined(separator: ", "))")
    }

    /// Values both sides hold once a write succeeded, in the form the base keeps.
    static func comparableAgreement(_ values: [String: JSON], except lost: [String]) -> [String: JSON] {
        var agreed: [String: JSON] = [:]
        for (name, value) in values where !lost.contains(name) {
            agreed[name] = SyncField.named(name)?.comparable(value) ?? .null
        }
        return agreed
    }

    // MARK: Reports

    private func writeReports(_ summary: inout ApplySummary, planURL: URL) throws {
        let base = planURL.deletingPathExtension()
        let header = ["change_id", "target", "entity", "record_id", "operation", "status", "message"]
        let successURL = base.appendingPathExtension("success").appendingPathExtension("csv")
        let errorsURL = base.appendingPathExtension("errors").appendingPathExtension("csv")
        let success = try CSVWriter(url: successURL, header: header, formulaGuard: .prefixApostrophe)
        let errors = try CSVWriter(url: errorsURL, header: header, formulaGuard: .prefixApostrophe)
        for item in summary.outcomes {
            let cells = [String(item.changeId), item.target, item.entity, item.recordId ?? "", item.op, item.status, item.message]
            if item.status == "failed" || item.status == "stale" { try errors.write(cells) } else { try success.write(cells) }
        }
        try success.close()
        try errors.close()
        summary.successFile = successURL.path
        summary.errorsFile = errorsURL.path
    }
}
