import Foundation
import LiqSync
import Sandbox
import Testing

/// `liqsync nightly` end to end against the sandbox.
@Suite struct NightlyRunnerTests {
    struct Night {
        let workspace: TestWorkspace
        let drop: URL
        let notifyFile: URL

        init(sandbox: SandboxInfo) throws {
            workspace = try TestWorkspace(sandbox: sandbox)
            drop = workspace.root.appendingPathComponent("localiq-drop")
            notifyFile = workspace.root.appendingPathComponent("notified.json")
            try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
        }

        func runner(
            policy: NightlyPolicy = NightlyPolicy(), keepStagedDays: Int = NightlyOptions.defaultKeepStagedDays, keepArchiveDays: Int? = nil,
            settleSeconds: Double = 0
        ) throws -> NightlyRunner {
            var options = NightlyOptions(export: drop)
            options.policy = policy
            options.settleSeconds = settleSeconds
            options.keepStagedDays = keepStagedDays
            options.keepArchiveDays = keepArchiveDays
            options.notifier = try Notifier(command: "cat > '\(notifyFile.path)'", url: nil)
            let client = try workspace.client(retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.001, maxDelay: 0.002))
            return NightlyRunner(
                workspace: workspace.workspace, settings: try workspace.settings(), config: try workspace.workspace.loadConfig(), options: options,
                makeClient: { client })
        }

        /// A LocaliQ contacts export with the given data lines.
        static func export(_ lines: [String]) -> Data {
            Data((["id,first_name,last_name,email,phone_mobile,created_at"] + lines).map { $0 + "\n" }.joined().utf8)
        }

        func notification() throws -> NightlyNotification? {
            guard let data = try? Data(contentsOf: notifyFile) else { return nil }
            return try JSONDecoder().decode(NightlyNotification.self, from: data)
        }

        func archived() -> [String] {
            let archive = drop.appendingPathComponent("archive")
            let days = (try? FileManager.default.contentsOfDirectory(atPath: archive.path)) ?? []
            return days.flatMap { (try? FileManager.default.contentsOfDirectory(atPath: archive.appendingPathComponent($0).path)) ?? [] }.sorted()
        }
    }

    @Test func twoNightsInARowPlanOnlyWhatIsNewAndNotifyHeldConflicts() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 60)) { sandbox async throws in
            let night = try Night(sandbox: sandbox.info)
            defer { night.workspace.remove() }
            let generated = night.workspace.root.appendingPathComponent("generated")
            let export = try LocaliQExportGenerator(seed: 3, contacts: 40, sandbox: SeedGenerator(seed: 7, contactCount: 60)).write(to: generated)
            try FileManager.default.copyItem(at: export.csv, to: night.drop.appendingPathComponent("localiq-contacts.csv"))

            let first = try await night.runner().run()
            #expect(first.steps.map(\.name) == ["pull", "import", "plan", "apply", "report", "prune"])
            #expect(first.steps.allSatisfy { $0.status != "failed" }, "\(first.steps)")
            #expect(first.held > 0 && first.conflicts > 0, "the export has conflicting edits")
            #expect(first.exitCode == NightlyResult.Code.held && first.status == "held")
            #expect(night.archived() == ["localiq-contacts.csv"], "the imported file was moved to the archive")
            #expect(try FileManager.default.contentsOfDirectory(atPath: night.drop.path) == ["archive"])
            let notified = try #require(try night.notification(), "held conflicts are notified")
            #expect(notified.status == "held" && notified.held == first.held && notified.conflicts == first.conflicts)
            let notifiedText = try String(contentsOf: night.notifyFile, encoding: .utf8)
            #expect(!notifiedText.contains("@") && !notifiedText.contains(sandbox.info.token), "counts and paths only")
            let report = try #require(first.report)
            #expect(FileManager.default.fileExists(atPath: report))
            let firstSet = try ChangeSetFile.read(URL(fileURLWithPath: try #require(first.changeSet)))
            let appliedKeys = Set(firstSet.changes.filter { $0.decision?.verdict == .accepted }.map { "\($0.target)|\($0.entity)|\($0.op)|\($0.key.sortText)" })
            #expect(!appliedKeys.isEmpty)

            // Between the nights: an edit in HighLevel and a new LocaliQ lead.
            let someone = try #require(await sandbox.store.allContacts().first { $0.email != nil })
            _ = try await sandbox.store.edit(contact: someone.id, fields: ["city": .string("Springfield")])
            try Data("first_name,last_name,email,phone_mobile,created_at\nNia,Newlead,nia.newlead@example.com,312-555-0177,2026-11-20\n".utf8)
                .write(to: night.drop.appendingPathComponent("localiq-new.csv"))
            try FileManager.default.removeItem(at: night.notifyFile)

            let second = try await night.runner().run()
            #expect(second.steps.allSatisfy { $0.status != "failed" }, "\(second.steps)")
            let secondSet = try ChangeSetFile.read(URL(fileURLWithPath: try #require(second.changeSet)))
            let secondKeys = secondSet.changes.map { "\($0.target)|\($0.entity)|\($0.op)|\($0.key.sortText)" }
            #expect(Set(secondKeys).isDisjoint(with: appliedKeys), "nothing applied on the first night is planned again")
            #expect(secondSet.changes.contains { $0.entity == .contact && $0.op == .create && $0.after["email"]?.text == "nia.newlead@example.com" })
            #expect(secondSet.changes.contains { $0.key.highlevelId == someone.id && $0.target == .localiq && $0.fields.contains { $0.field == "city" } })
            let heldFirst = Set(firstSet.changes.filter { $0.decision == nil && $0.op != .report }.map { "\($0.target)|\($0.entity)|\($0.op)|\($0.key.sortText)" })
            // Reports (a contact gone from one side) repeat every night; they are not changes.
            let newOnes = Set(secondSet.changes.filter { $0.op != .report }.map { "\($0.target)|\($0.entity)|\($0.op)|\($0.key.sortText)" })
                .subtracting(heldFirst)
            #expect(newOnes.count <= 4, "only the new lead, its tags, and the HighLevel edit are new: \(newOnes.sorted().prefix(8))")
            #expect(try night.notification()?.held == second.held)
            #expect(night.archived().contains("localiq-new.csv"))
            let runs = try night.workspace.workspace.openMirror().recentRuns(limit: 50).filter { $0.kind == "nightly" }
            #expect(runs.count == 2)
        }
    }

    @Test func lastNightsCopyOfTheExportIsPrunedOnceOutOfPlansForTheRetention() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 10)) { sandbox async throws in
            let night = try Night(sandbox: sandbox.info)
            defer { night.workspace.remove() }
            func export(_ people: ClosedRange<Int>) -> Data {
                Night.export(people.map { "\(7000 + $0),Pat,Night\($0),pat.night\($0)@example.com,,2026-11-\(10 + $0)" })
            }
            try export(1...12).write(to: night.drop.appendingPathComponent("contacts-2026-11-29.csv"))
            let first = try await night.runner(keepStagedDays: 0).run()
            #expect(first.steps.last?.name == "prune" && first.steps.last?.counts["imports"] == 0, "\(first.steps)")
            let mirror = try night.workspace.workspace.openMirror()
            let lastNight = try #require(try mirror.currentImports().first)

            try export(1...13).write(to: night.drop.appendingPathComponent("contacts-2026-11-30.csv"))
            let second = try await night.runner(keepStagedDays: 0).run()
            let prune = try #require(second.steps.first { $0.name == "prune" })
            #expect(prune.status == "ok" && prune.counts["imports"] == 1 && prune.counts["rows"] == 12 && prune.counts["leadsKept"] == 0, "\(second.steps)")
            #expect(try mirror.stagedRows(importId: lastNight.id).isEmpty)
            #expect(try mirror.currentImports().map(\.file).map { URL(fileURLWithPath: $0).lastPathComponent } == ["contacts-2026-11-30.csv"])
            // With the default retention, tonight's replaced import would stay a week.
            try export(1...14).write(to: night.drop.appendingPathComponent("contacts-2026-12-01.csv"))
            let third = try await night.runner().run()
            #expect(third.steps.first { $0.name == "prune" }?.counts["imports"] == 0, "\(third.steps)")
        }
    }

    @Test func aFileThatCannotBeImportedIsSetAsideTheOthersAreImportedAndTheRunSaysSo() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 5)) { sandbox async throws in
            let night = try Night(sandbox: sandbox.info)
            defer { night.workspace.remove() }
            let broken = night.drop.appendingPathComponent("broken.csv")
            try Night.export(["1,\"Ann,Lee,ann@example.com,,2026-11-20"]).write(to: broken)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3_600)], ofItemAtPath: broken.path)
            try Night.export(["2,Zed,Good,zed.good@example.com,,2026-11-21"]).write(to: night.drop.appendingPathComponent("good.csv"))

            let result = try await night.runner().run()
            #expect(result.steps.map(\.name) == ["pull", "import", "plan", "apply", "report", "prune"], "the run goes on: \(result.steps)")
            let imported = try #require(result.steps.first { $0.name == "import" })
            #expect(imported.status == "ok" && imported.counts["rejectedFiles"] == 1 && imported.counts["staged"] == 1, "\(imported)")
            #expect(imported.detail?.contains("the quote opened on line 2 is never closed") == true)
            #expect(result.status == "rejected-files" && result.exitCode == NightlyResult.Code.rejectedRows)
            let moved = try #require(result.rejectedFiles.first)
            #expect(moved.hasSuffix("/rejected/broken.csv") && FileManager.default.fileExists(atPath: moved))
            #expect(!FileManager.default.fileExists(atPath: broken.path), "out of the drop folder: the next run is not stopped by it")
            let why = try String(contentsOf: URL(fileURLWithPath: moved + ".error.txt"), encoding: .utf8)
            #expect(why.contains("never closed") && why.contains("liqsync import '\(moved)'"))
            let notified = try #require(try night.notification(), "a person must look at the file")
            #expect(notified.status == "rejected-files" && notified.rejectedFiles == [moved])
            #expect(try night.workspace.workspace.openMirror().currentImports().map { URL(fileURLWithPath: $0.file).lastPathComponent } == ["good.csv"])

            let next = try await night.runner().run()
            #expect(next.status == "ok" && next.rejectedFiles.isEmpty, "\(next.steps)")
        }
    }

    @Test func aFileStillBeingWrittenIsLeftForTheNextRun() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 5)) { sandbox async throws in
            let night = try Night(sandbox: sandbox.info)
            defer { night.workspace.remove() }
            let uploading = night.drop.appendingPathComponent("uploading.csv")
            try Night.export([]).write(to: uploading)
            try Night.export(["9,Whole,File,whole.file@example.com,,2026-11-21"]).write(to: night.drop.appendingPathComponent("whole.csv"))
            // An upload in progress: a row appended every 100 ms until the run is over, however
            // long the steps before the import take on a busy machine.
            let writer = Task.detached { () throws -> Int in
                let handle = try FileHandle(forWritingTo: uploading)
                defer { try? handle.close() }
                var rows = 0
                while !Task.isCancelled {
                    rows += 1
                    try handle.seekToEnd()
                    try handle.write(contentsOf: Data("\(100 + rows),Up,Load\(rows),up.load\(rows)@example.com,,2026-11-21\n".utf8))
                    try? await Task.sleep(for: .milliseconds(100))
                }
                return rows
            }
            let during = try await night.runner(settleSeconds: 1).run()
            writer.cancel()
            let written = try await writer.value
            let imported = try #require(during.steps.first { $0.name == "import" })
            #expect(imported.counts["waiting"] == 1 && imported.counts["staged"] == 1, "\(imported)")
            #expect(imported.detail?.contains("left for the next run, still being written: uploading.csv") == true)
            #expect(FileManager.default.fileExists(atPath: uploading.path), "left in the drop folder")

            let after = try await night.runner(settleSeconds: 1).run()
            let next = try #require(after.steps.first { $0.name == "import" })
            #expect(next.counts["waiting"] == nil && next.counts["staged"] == written, "the whole upload, once it stopped changing: \(next)")
        }
    }

    @Test func archivedExportsAreKeptUnlessARetentionIsGivenAndOnlyDayFoldersGo() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 5)) { sandbox async throws in
            let night = try Night(sandbox: sandbox.info)
            defer { night.workspace.remove() }
            let archive = night.drop.appendingPathComponent("archive")
            for folder in ["2000-01-01", "2999-01-01", "notes"] {
                try FileManager.default.createDirectory(at: archive.appendingPathComponent(folder), withIntermediateDirectories: true)
                try Data("id\n1\n".utf8).write(to: archive.appendingPathComponent(folder).appendingPathComponent("contacts.csv"))
            }
            let kept = try await night.runner().run()
            #expect(kept.steps.first { $0.name == "prune" }?.counts["archiveDays"] == nil, "\(kept.steps)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: archive.path).sorted() == ["2000-01-01", "2999-01-01", "notes"])

            let pruned = try await night.runner(keepArchiveDays: 30).run()
            #expect(pruned.steps.first { $0.name == "prune" }?.counts["archiveDays"] == 1, "\(pruned.steps)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: archive.path).sorted() == ["2999-01-01", "notes"])
        }
    }

    @Test func aSandboxAnsweringFiveHundredFailsTheRunNotifiesAndLeavesTheMirrorIntact() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 30)) { sandbox async throws in
            let night = try Night(sandbox: sandbox.info)
            defer { night.workspace.remove() }
            let healthy = try await night.runner().run()
            #expect(healthy.status != "failed", "\(healthy.steps)")
            let mirror = try night.workspace.workspace.openMirror()
            let before = try mirror.rawSnapshot()

            _ = try await sandbox.store.edit(contact: try #require(await sandbox.store.allContacts().first?.id), fields: ["city": .string("Elsewhere")])
            await sandbox.faults.setPlan(try #require(FaultPlan(parsing: "500:1.0")))
            let failed = try await night.runner().run()
            #expect(failed.exitCode == NightlyResult.Code.failed && failed.status == "failed")
            #expect(failed.steps.map(\.name) == ["pull"] && failed.steps.first?.status == "failed")
            #expect(try night.notification()?.status == "failed")
            #expect(try mirror.integrityCheck() == "ok")
            #expect(try mirror.rawSnapshot() == before, "a failed pull changes nothing")
            #expect(!FileManager.default.fileExists(atPath: night.workspace.root.appendingPathComponent("nightly.lock").path), "the lock is released")
        }
    }

    @Test func theLockStopsASecondRunAndIsTakenOverFromACrashedOne() async throws {
        try await SandboxServer.withRunning(.quick(contacts: 10)) { sandbox async throws in
            let night = try Night(sandbox: sandbox.info)
            defer { night.workspace.remove() }
            let lockURL = night.workspace.root.appendingPathComponent("nightly.lock")
            // A live holder: this process holds the lock.
            let held = try NightlyLock(url: lockURL)
            await #expect(throws: NightlyError.self) { try await night.runner().run() }
            do {
                _ = try await night.runner().run()
            } catch let error as NightlyError {
                #expect(error.localizedDescription.contains("Another nightly run is in progress (process \(getpid())"))
            }
            held.release()

            // A crashed holder: its pid is in the file but it no longer runs (and holds no flock).
            let gone = Process()
            gone.executableURL = URL(fileURLWithPath: "/bin/true")
            try gone.run()
            gone.waitUntilExit()
            try Data("\(gone.processIdentifier) 2026-11-28T02:30:00.000Z\n".utf8).write(to: lockURL)
            let result = try await night.runner().run()
            #expect(result.tookOverLockFrom == gone.processIdentifier)
            #expect(result.status != "failed", "\(result.steps)")
            let log = try String(contentsOf: night.workspace.root.appendingPathComponent("logs/nightly.log"), encoding: .utf8)
            #expect(log.contains("took over the lock left by process \(gone.processIdentifier)"))
        }
    }

    /// HighLevel's refresh tokens are single-use: the token the pull rotated must be the one the
    /// apply uses, in the same run.
    @Test func anOAuthTokenRefreshedDuringThePullServesTheApply() async throws {
        let clock = SharedClock()
        var configuration = SandboxConfiguration.quick(contacts: 30)
        configuration.accessTokenLifetime = 600
        configuration.now = { clock.now }
        try await SandboxServer.withRunning(configuration) { sandbox async throws in
            let info = sandbox.info
            let night = try Night(sandbox: info)
            defer { night.workspace.remove() }
            let code = try await sandbox.tokens.issueCode(clientId: info.clientId, redirectURI: nil, scopes: [Principal.readScope, Principal.writeScope])
            let grant = try await OAuthTokenExchange(transport: URLSessionTransport(), tokenURL: info.baseURL + "/oauth/token").exchange(
                ["grant_type": "authorization_code", "code": code, "client_id": info.clientId, "client_secret": info.clientSecret],
                clientSecret: info.clientSecret)
            try night.workspace.workspace.credentialStore.save(.oauth(grant))
            let generated = night.workspace.root.appendingPathComponent("generated")
            let export = try LocaliQExportGenerator(seed: 5, contacts: 20, sandbox: SeedGenerator(seed: 7, contactCount: 30)).write(to: generated)
            try FileManager.default.copyItem(at: export.csv, to: night.drop.appendingPathComponent("localiq-contacts.csv"))
            clock.advance(601)  // expired: the pull refreshes, rotating the refresh token

            // Settings read once, as `liqsync nightly` reads them; clients made from them hold the grant of that moment.
            let settings = try night.workspace.settings()
            let workspace = night.workspace.workspace
            let runner = NightlyRunner(
                workspace: workspace, settings: settings, config: try workspace.loadConfig(), options: NightlyOptions(export: night.drop),
                makeClient: { try workspace.makeClient(settings, pacer: RequestPacer(maxRequests: 100_000, interval: 1)) })
            let result = try await runner.run()
            #expect(result.steps.allSatisfy { $0.status != "failed" }, "\(result.steps)")
            let applied = try #require(result.steps.first { $0.name == "apply" })
            #expect((applied.counts["done"] ?? 0) > 0 && applied.counts["failed"] == 0)
        }
    }

    @Test func thePolicyDecidesWhatIsAcceptedAndRefusesTypos() throws {
        let policy = try NightlyPolicy.parse("accept:\n  add_tags: false\n  overwrite_fields: true\nmax_changes: 10\n", path: "p.yaml")
        #expect(!policy.addTags && policy.overwriteFields && policy.maxChanges == 10 && policy.createInHighLevel)
        #expect(throws: NightlyError.self) { try NightlyPolicy.parse("accept:\n  add_tag: true\n", path: "p.yaml") }
        #expect(throws: NightlyError.self) { try NightlyPolicy.parse("accept:\n  notes: maybe\n", path: "p.yaml") }
        #expect(throws: NightlyError.self) { try NightlyPolicy.parse("delete_everything: true\n", path: "p.yaml") }
        #expect(try NightlyPolicy.parse(NightlyPolicy.example, path: "example") == NightlyPolicy())
    }

    @Test func logsAreRotated() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-log-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = RotatingLog(url: folder.appendingPathComponent("nightly.log"), maxBytes: 100, keep: 2)
        for night in 1...5 { try log.append([String(repeating: "night \(night) ", count: 10)]) }
        #expect(log.rotatedFiles().count == 2)
        #expect(try String(contentsOf: log.url, encoding: .utf8).hasPrefix("night 5"))
        #expect(try String(contentsOf: log.rotatedFiles()[0], encoding: .utf8).hasPrefix("night 3"), "each file is rotated whole once it passes the size")
    }
}
