import Foundation
import LiqSync
import Sandbox

// Measurements for bench/run, printed as Markdown table rows. Release build only.
//   LiqSyncBench pull N        pull N contacts with children from an in-process sandbox (limits off)
//   LiqSyncBench mirror N [PAGE] [--per-page]   write N contacts (raw JSON + FTS) into a fresh mirror as a pull does
//                              (--per-page: one transaction per page)
//   LiqSyncBench search C N    search latency over C contacts and N notes
//   LiqSyncBench plan-setup N DIR   a workspace in DIR: N mirror contacts, an overlapping LocaliQ export imported,
//                                   and the same data as two CSVs (DIR/highlevel.csv, DIR/localiq.csv) for csv-diff/daff
//   LiqSyncBench plan-steady-setup N DIR   the plan target's workload: N contacts and N rows that agreed last night, 2% different tonight
//   LiqSyncBench plan-run DIR [--sizes]   plan it (run under /usr/bin/time by bench/run); --sizes: print the change-set sizes
//   LiqSyncBench migrate DIR   open the workspace's mirror, migrating a workload made by an earlier build (not timed)
//   LiqSyncBench apply-rate N BURST SECONDS   apply a plan over N sandbox contacts at a scaled limit: rate and 429s

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// With LIQSYNC_BENCH_ANNOUNCE set, says on stderr when the timed part starts and waits a moment,
/// so a profiler can attach to just that part (`perf record -p PID`).
func announceMeasuring() {
    guard ProcessInfo.processInfo.environment["LIQSYNC_BENCH_ANNOUNCE"] != nil else { return }
    FileHandle.standardError.write(Data("measuring pid \(ProcessInfo.processInfo.processIdentifier)\n".utf8))
    Thread.sleep(forTimeInterval: 1)
}

func temporaryMirror() throws -> (MirrorDatabase, URL) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return (try MirrorDatabase(file: directory.appendingPathComponent("mirror.sqlite")), directory)
}

/// With LIQSYNC_BENCH_KEEP set, a temporary workspace is kept (its path on stderr) to look into.
func keepOrRemove(_ directory: URL) {
    if ProcessInfo.processInfo.environment["LIQSYNC_BENCH_KEEP"] != nil {
        FileHandle.standardError.write(Data("kept \(directory.path)\n".utf8))
    } else {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Contacts as the API returns them, from the sandbox's generator.
func apiContacts(_ count: Int, seed: UInt64 = 99) -> (contacts: [Contact], notes: [Note]) {
    let data = SeedGenerator(seed: seed, contactCount: count).generate()
    let contacts = data.contacts.compactMap { contact -> Contact? in
        let object: [String: Any?] = [
            "id": contact.id, "locationId": contact.locationId, "firstName": contact.firstName, "lastName": contact.lastName,
            "email": contact.email, "phone": contact.phone, "companyName": contact.companyName, "source": contact.source,
            "tags": contact.tags, "dateAdded": Timestamp.format(contact.dateAdded),
            "dateUpdated": Timestamp.format(contact.dateUpdated), "city": contact.city, "state": contact.state,
            "postalCode": contact.postalCode, "address1": contact.address1, "type": contact.type, "country": contact.country,
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object.compactMapValues { $0 }), let json = try? JSON.parse(data) else { return nil }
        return Contact(json: json)
    }
    let notes = data.notes.compactMap { note -> Note? in
        let object: [String: Any] = ["id": note.id, "contactId": note.contactId, "body": note.body, "dateAdded": "2026-10-01T10:00:00.000Z"]
        guard let data = try? JSONSerialization.data(withJSONObject: object), let json = try? JSON.parse(data) else { return nil }
        return Note(json: json, contactId: note.contactId)
    }
    return (contacts, notes)
}

/// Writes `count` contacts into a fresh mirror in pages of `pageSize`, the way a pull does:
/// `grouped` feeds them through the pull's `ContactPageCommitter` (each page prepared while the
/// previous batch is written; pages that arrive meanwhile share the next transaction, up to 5,000);
/// otherwise each page is its own transaction, as when pages arrive slower than they are written.
func benchMirror(_ count: Int, pageSize: Int = 500, grouped: Bool = true) async throws {
    let (contacts, _) = apiContacts(count)
    let (mirror, directory) = try temporaryMirror()
    defer { keepOrRemove(directory) }
    var state = try await mirror.beginPull(full: false, entities: ["contacts"], since: nil)
    announceMeasuring()
    let clock = ContinuousClock()
    let start = clock.now
    var committer = ContactPageCommitter(mirror: mirror, state: state)
    for index in stride(from: 0, to: contacts.count, by: pageSize) {
        let page = Array(contacts[index..<min(index + pageSize, contacts.count)])
        if grouped {
            try await committer.add(page, state: state, pulledAt: Date())
        } else {
            state = try await mirror.commitContactPage(page, state: state, pulledAt: Date())
        }
    }
    if grouped { state = try await committer.finish() }
    // The contact phase's end is timed too: a first load builds the indexes and full-text index here.
    let rebuildStart = clock.now
    _ = try await mirror.finishContactPhase(state, at: Date())
    let rebuild = seconds(clock.now - rebuildStart)
    let elapsed = seconds(clock.now - start)
    let how = grouped
        ? "pages of \(pageSize) as a pull writes them (each prepared while the previous batch is written; up to 5,000 a transaction)"
        : "one transaction per page of \(pageSize)"
    print("| mirror write, \(count) contacts, \(how) (raw JSON, key columns, FTS5, pull state; index and FTS build at the end \(String(format: "%.2f", rebuild)) s) | \(String(format: "%.2f", elapsed)) s | \(Int(Double(count) / elapsed)) contacts/s |")
}

/// A nightly pull's writes into a filled mirror: the contacts in `file` (one raw JSON a line, as
/// the mirror stores them) written again with a new `dateUpdated`, in pages as a pull writes them.
/// With `--no-logs` the plan state is forgotten first, which drops the change-log triggers a plan
/// installs: the two runs side by side give what the triggers cost a pull.
func benchPullUpdate(directory: URL, file: URL, logs: Bool) async throws {
    let mirror = try Workspace(root: directory).openMirror()
    if !logs { try mirror.forgetPlanState() }
    let stamp = Timestamp.format(Date())
    let contacts = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").compactMap { line -> Contact? in
        guard case .object(var object)? = try? JSON.parse(Data(line.utf8)) else { return nil }
        object["dateUpdated"] = .string(stamp)
        return Contact(json: .object(object))
    }
    let state = try await mirror.beginPull(full: false, entities: ["contacts"], since: nil)
    announceMeasuring()
    let clock = ContinuousClock()
    let start = clock.now
    var committer = ContactPageCommitter(mirror: mirror, state: state)
    for index in stride(from: 0, to: contacts.count, by: 500) {
        try await committer.add(Array(contacts[index..<min(index + 500, contacts.count)]), state: state, pulledAt: Date())
    }
    _ = try await mirror.finishContactPhase(try await committer.finish(), at: Date())
    let elapsed = seconds(clock.now - start)
    print("pull writing \(contacts.count) contacts again into a filled mirror, change logs \(logs ? "on" : "off"): \(String(format: "%.2f", elapsed)) s, \(Int(Double(contacts.count) / elapsed)) contacts/s")
}

func benchSearch(_ contactCount: Int, _ noteCount: Int) async throws {
    let (contacts, seededNotes) = apiContacts(contactCount)
    let (mirror, directory) = try temporaryMirror()
    defer { try? FileManager.default.removeItem(at: directory) }
    var state = try await mirror.beginPull(full: false, entities: ["contacts", "notes"], since: nil)
    var index = 0
    while index < contacts.count {
        state = try await mirror.commitContactPage(Array(contacts[index..<min(index + 500, contacts.count)]), state: state, pulledAt: Date())
        index += 500
    }
    var notes = seededNotes
    var extra = 0
    while notes.count < noteCount, let template = seededNotes.isEmpty ? nil : seededNotes[extra % seededNotes.count] {
        var copy = template
        copy.id = "bench-note-\(extra)"
        copy.contactId = contacts[extra % contacts.count].id
        notes.append(copy)
        extra += 1
    }
    let byContact = Dictionary(grouping: notes.prefix(noteCount), by: \.contactId)
    for (contactId, list) in byContact {
        state = try await mirror.commitChildren(MirrorDatabase.Children(notes: Array(list)), of: contactId, state: state, pulledAt: Date())
    }
    let queries = contacts.prefix(200).compactMap { $0.lastName } + ["voicemail", "pricing", "invoice", "maint"] + contacts.prefix(50).compactMap { $0.email }
    var latencies: [Double] = []
    let clock = ContinuousClock()
    for query in queries {
        let start = clock.now
        _ = try mirror.search(query, limit: 20)
        latencies.append(seconds(clock.now - start) * 1000)
    }
    latencies.sort()
    let p50 = latencies[latencies.count / 2]
    let p95 = latencies[latencies.count * 95 / 100]
    print("| search over \(contactCount) contacts + \(byContact.values.map(\.count).reduce(0, +)) notes, \(latencies.count) queries, all scopes, top 20 | p50 \(String(format: "%.2f", p50)) ms | p95 \(String(format: "%.2f", p95)) ms |")
}

/// A fresh workspace pointed at an in-process sandbox, with its token stored.
func sandboxWorkspace(_ info: SandboxInfo) throws -> (Workspace, ResolvedSettings) {
    let workspace = Workspace(root: FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-bench-\(UUID().uuidString)"))
    try workspace.initialize(config: WorkspaceConfig(baseURL: info.baseURL, locationId: info.locationId))
    try workspace.credentialStore.save(.privateIntegration(token: info.token, scopes: nil))
    return (workspace, try ResolvedSettings.resolve(workspace: workspace, environment: [:]))
}

func benchPull(_ count: Int) async throws {
    var configuration = SandboxConfiguration()
    configuration.contactCount = count
    configuration.rateLimit = .off
    try await SandboxServer.withRunning(configuration) { sandbox in
        let (workspace, settings) = try sandboxWorkspace(sandbox.info)
        let directory = workspace.root
        defer { try? FileManager.default.removeItem(at: directory) }
        let client = try workspace.makeClient(settings, pacer: RequestPacer(maxRequests: 1_000_000, interval: 1))
        let mirror = try workspace.openMirror()
        let clock = ContinuousClock()
        let start = clock.now
        let summary = try await Puller(mirror: mirror, client: client).run(PullOptions())
        let elapsed = seconds(clock.now - start)
        let records = summary.counts.values.map(\.new).reduce(0, +)
        print("| pull \(count) contacts with tasks, notes, appointments from the sandbox (limits off, 4 in flight) | \(String(format: "%.2f", elapsed)) s | \(Int(Double(records) / elapsed)) records/s, \(Int(Double(summary.requests) / elapsed)) requests/s (\(records) records, \(summary.requests) requests) |")
    }
}

/// A compared value as a cell.
func cell(_ value: JSON?) -> String {
    switch value {
    case .string(let text)?: text
    case .array(let items)?: items.compactMap(\.string).joined(separator: ";")
    default: ""
    }
}

/// The columns both sides share, for the peers: they diff two CSVs keyed by email.
let peerColumns = ["email", "first_name", "last_name", "phone", "company", "address1", "city", "state", "postal_code", "country", "tags"]

func benchPlanSetup(_ count: Int, directory: URL) async throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let workspace = Workspace(root: directory)
    try workspace.initialize(config: WorkspaceConfig())
    let mirror = try workspace.openMirror()
    let seed: UInt64 = 21
    let (contacts, _) = apiContacts(count, seed: seed)
    for start in stride(from: 0, to: contacts.count, by: 5000) {
        try mirror.storeContacts(Array(contacts[start..<min(start + 5000, contacts.count)]))
    }
    let export = try LocaliQExportGenerator(seed: 1, contacts: count, sandbox: SeedGenerator(seed: seed, contactCount: count))
        .write(to: directory.appendingPathComponent("drop"))
    let summary = try Importer(database: mirror).run(export.csv, mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
    // The same data as two CSVs keyed by the lower-cased email, for csv-diff and daff.
    let highlevel = try CSVWriter(url: directory.appendingPathComponent("highlevel.csv"), header: peerColumns)
    for contact in try mirror.planContacts() {
        guard let email = contact.emailKey else { continue }
        try highlevel.write(peerColumns.map { column in
            column == "email" ? email : cell(SyncField.named(column)?.comparable(contact.values[column]))
        })
    }
    try highlevel.close()
    let localiq = try CSVWriter(url: directory.appendingPathComponent("localiq.csv"), header: peerColumns)
    for row in try mirror.planRows(importId: summary.importId, knownColumns: nil) {
        guard let email = row.emailKey else { continue }
        try localiq.write(peerColumns.map { column in
            column == "email" ? email : cell(SyncField.named(column)?.comparable(row.fields[column]))
        })
    }
    try localiq.close()
    print("setup: \(count) mirror contacts, \(summary.rowsStaged) staged rows in \(directory.path)")
}

/// The plan target's workload: N mirror contacts and N LocaliQ rows for the same people that last
/// night agreed on everything, and 2% of records different tonight — 0.5% edited in HighLevel,
/// 0.5% edited in LocaliQ, 0.5% new in LocaliQ, 0.5% gone from the LocaliQ export.
func benchPlanSteadySetup(_ count: Int, directory: URL) async throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let workspace = Workspace(root: directory)
    try workspace.initialize(config: WorkspaceConfig())
    let mirror = try workspace.openMirror()
    let clock = ContinuousClock()
    // Every contact gets a unique email and at most a unique phone, as in a steady state every pair
    // is matched (the generator leaves some without an email and repeats others, for the duplicate
    // rules' tests; and 555-01xx numbers run out long before a million).
    var emails = Set<String>()
    var phones = Set<String>()
    var contacts = apiContacts(count, seed: 21).contacts.enumerated().compactMap { offset, contact -> Contact? in
        guard case .object(var raw) = contact.raw else { return nil }
        if let email = contact.email?.lowercased(), emails.insert(email).inserted {} else { raw["email"] = .string("bench.\(offset)@example.com") }
        if let phone = contact.phone.flatMap(PhoneNumber.e164), phones.insert(phone).inserted {} else { raw["phone"] = nil }
        return Contact(json: .object(raw))
    }
    var state = try await mirror.beginPull(full: false, entities: ["contacts"], since: nil)
    for start in stride(from: 0, to: contacts.count, by: 500) {
        state = try await mirror.commitContactPage(Array(contacts[start..<min(start + 500, contacts.count)]), state: state, pulledAt: Date())
    }
    _ = try await mirror.finishContactPhase(state, at: Date())
    let header = ["id", "email", "first_name", "last_name", "phone_mobile", "company", "address1", "city", "state", "postal", "country", "tags"]
    func cells(_ contact: Contact, localiqId: String) -> [String] {
        let raw = contact.raw
        func text(_ key: String) -> String { raw[key]?.string ?? "" }
        return [
            localiqId, text("email"), text("firstName"), text("lastName"), text("phone"), text("companyName"), text("address1"), text("city"),
            text("state"), text("postalCode"), text("country"), contact.tags.joined(separator: ";"),
        ]
    }
    let export = directory.appendingPathComponent("drop/localiq-contacts.csv")
    try FileManager.default.createDirectory(at: export.deletingLastPathComponent(), withIntermediateDirectories: true)
    let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
    // Last night: both sides hold the same values; the first plan records them as the base.
    var writer = try CSVWriter(url: export, header: header)
    for (offset, contact) in contacts.enumerated() { try writer.write(cells(contact, localiqId: "lq-\(offset)")) }
    try writer.close()
    _ = try Importer(database: mirror).run(export, mapping: mapping)
    let start = clock.now
    let (first, firstStatistics) = try Planner(database: mirror).planMeasured(workspace: directory.path)
    print("setup: first plan (no base yet) \(String(format: "%.2f", seconds(clock.now - start))) s, \(first.changes.count) changes, \(firstStatistics.pairsDiffed) pairs diffed")
    // Last night's plan, which found nothing new: as on every night after the first, the state
    // file it replaced is left as the spare the next plan writes over (MirrorDatabase+PlanState).
    _ = try Planner(database: mirror).plan(workspace: directory.path)

    // Tonight: 2% of records differ.
    let lastNight = contacts
    let step = 200  // 0.5%
    var edited: [Contact] = []
    for index in stride(from: 0, to: contacts.count, by: step) {
        guard case .object(var raw) = contacts[index].raw else { continue }
        raw["city"] = .string("Edited in HighLevel")
        raw["dateUpdated"] = .string(Timestamp.format(Date()))
        if let contact = Contact(json: .object(raw)) {
            edited.append(contact)
            contacts[index] = contact
        }
    }
    for start in stride(from: 0, to: edited.count, by: 5000) { try mirror.storeContacts(Array(edited[start..<min(start + 5000, edited.count)])) }
    writer = try CSVWriter(url: export, header: header)
    let peers = try CSVWriter(url: directory.appendingPathComponent("localiq.csv"), header: peerColumns)
    let highlevel = try CSVWriter(url: directory.appendingPathComponent("highlevel.csv"), header: peerColumns)
    func peerRow(_ row: [String]) -> [String] {
        // id, email, first, last, phone, company, address1, city, state, postal, country, tags → peerColumns order
        [row[1].lowercased(), row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11]]
    }
    for (offset, contact) in contacts.enumerated() {
        try highlevel.write(peerRow(cells(contact, localiqId: "lq-\(offset)")))
        var row = cells(lastNight[offset], localiqId: "lq-\(offset)")
        if offset % step == 50 { continue }  // gone from LocaliQ's export
        if offset % step == 100 { row[7] = "Edited in LocaliQ" }
        if offset % step == 150 {
            row = ["lq-new-\(offset)", "new.\(offset)@example.com", "New", "Lead \(offset)", "", "", "", "Austin", "TX", "", "US", "new"]
        }
        try writer.write(row)
        try peers.write(peerRow(row))
    }
    try writer.close()
    try peers.close()
    try highlevel.close()
    let summary = try Importer(database: mirror).run(export, mapping: mapping)
    print("setup: \(count) mirror contacts, \(summary.rowsStaged) staged rows, \(edited.count) HighLevel edits in \(directory.path)")
}

/// Plans the workspace and writes the change set, as `liqsync plan` does. With `sizes`, it then
/// reads the change set back to compare its size with plain JSON Lines (not part of a timed run).
func benchPlanRun(directory: URL, sizes: Bool) throws {
    let clock = ContinuousClock()
    let opening = clock.now
    let workspace = Workspace(root: directory)
    let mirror = try workspace.openMirror()
    let start = clock.now
    var planner = Planner(database: mirror)
    planner.keepsWorkUntilExit = true
    let (set, statistics) = try planner.planMeasured(workspace: directory.path)
    // As `liqsync plan` does: the process ends without freeing the plan change by change.
    defer { KeptUntilExit.keep(set) }
    let written = clock.now
    let cpuBefore = processCPUSeconds()
    let url = workspace.changeSets.appendingPathComponent("bench.lqcs")
    try ChangeSetFile.write(set, to: url)
    let elapsed = seconds(clock.now - start)
    if ProcessInfo.processInfo.environment["LIQSYNC_PROFILE_PLAN"] == "1" {
        let cpu = String(format: "%.3f", processCPUSeconds() - cpuBefore)
        FileHandle.standardError.write(Data("open \(start - opening), plan \(written - start), write change set \(clock.now - written) (cpu \(cpu) s)\n".utf8))
    }
    guard sizes else { return }
    let compressed = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
    let reader = try GzipLineReader(url: url)
    var plain = 0
    while let line = try reader.nextLine() { plain += line.count + 1 }
    print("plan\(statistics.incremental ? " (incremental: from the last plan's state)" : ""): \(statistics.matchedPairs) matched pairs, \(statistics.pairsDiffed) diffed in full; \(set.changes.count) changes in \(String(format: "%.2f", elapsed)) s; change set \(compressed) bytes gzip, \(plain) bytes as JSON Lines (\(String(format: "%.1f", Double(plain) / Double(max(compressed, 1))))× smaller)")
}

func benchApplyRate(_ count: Int, burst: Int, interval: Double) async throws {
    var configuration = SandboxConfiguration()
    configuration.contactCount = count
    configuration.seed = 5
    configuration.rateLimit = RateLimitPolicy(burst: burst, interval: interval)
    try await SandboxServer.withRunning(configuration) { sandbox in
        let (workspace, settings) = try sandboxWorkspace(sandbox.info)
        let directory = workspace.root
        defer { try? FileManager.default.removeItem(at: directory) }
        let mirror = try workspace.openMirror()
        _ = try await Puller(mirror: mirror, client: try workspace.makeClient(settings)).run(PullOptions(entities: [.contacts]))
        let export = try LocaliQExportGenerator(seed: 3, contacts: count, sandbox: SeedGenerator(seed: 5, contactCount: count))
            .write(to: directory.appendingPathComponent("drop"))
        _ = try Importer(database: mirror).run(export.csv, mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        var set = try Planner(database: mirror).plan(workspace: directory.path)
        set = try ChangeReview.decide(set, ChangeSelection(target: .highlevel), verdict: .accepted, by: "bench").0
        for change in set.changes where change.conflict?.kind == .firstSync || change.conflict?.kind == .bothChanged {
            set = try ChangeReview.resolve(set, "\(change.id)=localiq", by: "bench")
        }
        let url = workspace.changeSets.appendingPathComponent("bench.lqcs")
        try ChangeSetFile.write(set, to: url)
        // Let the pull's requests leave the window, so the apply starts with the whole budget.
        try await Task.sleep(for: .seconds(interval))
        let first = await sandbox.requestLog.lastSequence
        let clock = ContinuousClock()
        let start = clock.now
        let summary = try await Applier(database: mirror, client: try workspace.makeClient(settings), exportsFolder: workspace.exports).run(url, scope: .highlevel)
        let elapsed = seconds(clock.now - start)
        let requests = await sandbox.requestLog.entries(after: first).filter { !$0.path.hasPrefix("/_sandbox") }
        let throttled = requests.filter { $0.status == 429 }.count
        let allowed = Double(burst) / interval
        let rate = Double(requests.count) / elapsed
        print("| apply \(summary.done) changes to the sandbox at \(burst) requests / \(interval) s | \(String(format: "%.1f", elapsed)) s | \(requests.count) requests, \(String(format: "%.1f", rate))/s = \(Int((rate / allowed * 100).rounded()))% of the allowed \(String(format: "%.1f", allowed))/s; \(throttled) × 429; \(summary.failed) failed |")
    }
}

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "mirror":
    try await benchMirror(
        Int(arguments.dropFirst().first ?? "") ?? 100_000, pageSize: Int(arguments.dropFirst(2).first ?? "") ?? 500,
        grouped: !arguments.contains("--per-page"))
case "search": try await benchSearch(Int(arguments.dropFirst().first ?? "") ?? 100_000, Int(arguments.dropFirst(2).first ?? "") ?? 200_000)
case "pull": try await benchPull(Int(arguments.dropFirst().first ?? "") ?? 10_000)
case "plan-setup":
    try await benchPlanSetup(Int(arguments.dropFirst().first ?? "") ?? 100_000, directory: URL(fileURLWithPath: arguments.dropFirst(2).first ?? "bench/work/plan"))
case "plan-steady-setup":
    try await benchPlanSteadySetup(
        Int(arguments.dropFirst().first ?? "") ?? 1_000_000, directory: URL(fileURLWithPath: arguments.dropFirst(2).first ?? "bench/work/plan-steady"))
case "pull-update":
    try await benchPullUpdate(
        directory: URL(fileURLWithPath: arguments.dropFirst().first ?? "bench/work/plan-steady"),
        file: URL(fileURLWithPath: arguments.dropFirst(2).first ?? "bench/work/contacts.jsonl"), logs: !arguments.contains("--no-logs"))
case "migrate":
    _ = try Workspace(root: URL(fileURLWithPath: arguments.dropFirst().first ?? "bench/work/plan")).openMirror()
case "plan-run":
    try benchPlanRun(directory: URL(fileURLWithPath: arguments.dropFirst().first ?? "bench/work/plan"), sizes: arguments.contains("--sizes"))
case "apply-rate":
    try await benchApplyRate(
        Int(arguments.dropFirst().first ?? "") ?? 300, burst: Int(arguments.dropFirst(2).first ?? "") ?? 20,
        interval: Double(arguments.dropFirst(3).first ?? "") ?? 1)
default:
    FileHandle.standardError.write(Data("usage: LiqSyncBench mirror N | search CONTACTS NOTES | pull N | plan-setup N DIR | plan-run DIR | apply-rate N BURST SECONDS\n".utf8))
    exit(2)
}

/// CPU time of all the process's threads so far.
func processCPUSeconds() -> Double {
    var time = timespec()
    guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0 else { return 0 }
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
