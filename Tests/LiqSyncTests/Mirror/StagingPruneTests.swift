import Foundation
import LiqSync
import Testing

/// Staging retention: imports out of the plans lose their rows, but no plan, report or re-import
/// notices.
@Suite struct StagingPruneTests {
    /// A LocaliQ contacts export; person N was created on day N of November 2026 (a lead then).
    private func export(_ ids: [Int], renamed: Set<Int> = []) -> String {
        "id,email,first_name,created_at\n"
            + ids.map { "\(9000 + $0),person\($0)@example.com,\(renamed.contains($0) ? "Renamed" : "Person") \($0),2026-11-\(String(format: "%02d", $0 % 28 + 1))\n" }.joined()
    }

    private func report(_ database: MirrorDatabase) throws -> Report {
        let period = try ReportPeriod(firstDay: ReportPeriod.parseDay("2026-11-01"), lastDay: ReportPeriod.parseDay("2026-11-30"), zone: .gmt)
        return try Reporter(database: database).make(period, generatedAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    private func planned(_ database: MirrorDatabase) throws -> [String] {
        try Planner(database: database).plan(workspace: "w").changes.map { "\($0.target)|\($0.op)|\($0.key.sortText)|\(JSON.object($0.after).canonicalText)" }
    }

    /// Two nights of a dated export (the second replaces the first) and a file imported twice.
    private func importNights(_ workspace: ImportWorkspace) throws -> (lastNight: ImportSummary, tonight: ImportSummary, regionOld: ImportSummary, region: ImportSummary) {
        let mapping = try BuiltInProfiles.profile(named: "localiq-contacts")
        let importer = Importer(database: workspace.database)
        let lastNight = try importer.run(try workspace.file("contacts-2026-11-29.csv", export(Array(1...20))), mapping: mapping)
        // Tonight's copy lacks person 20 (deleted in LocaliQ) and adds person 21.
        let tonight = try importer.run(try workspace.file("contacts-2026-11-30.csv", export(Array(1...19) + [21])), mapping: mapping)
        let regionOld = try importer.run(try workspace.file("region.csv", export(Array(100...104))), mapping: mapping)
        // The same file again, changed: person 104 gone, person 101 renamed.
        let region = try importer.run(try workspace.file("region.csv", export(Array(100...103), renamed: [101])), mapping: mapping)
        return (lastNight, tonight, regionOld, region)
    }

    @Test("rows of imports out of the plans go; the lead only they record stays; plans and reports see no difference")
    func prunesWhatNoPlanReads() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let (lastNight, tonight, regionOld, region) = try importNights(workspace)
        #expect(try workspace.database.currentImports().map(\.id) == [tonight.importId, region.importId])
        let planBefore = try planned(workspace.database)
        let reportBefore = try report(workspace.database)  // after the plan: the report counts plan runs too
        let leadsBefore = try #require(reportBefore.figures.first { $0.id == "localiq_leads" })
        #expect(leadsBefore.current == 26, "people 1…21 and 100…104, each a lead once")

        let pruned = try workspace.database.pruneStaging(leftPlansBefore: Date().addingTimeInterval(60))
        #expect(pruned.imports.map(\.importId) == [regionOld.importId, lastNight.importId], "newest first")
        #expect(pruned.imports.map(\.rows) == [4, 19] && pruned.imports.map(\.leadsKept) == [1, 1])
        #expect(pruned.rows == 23 && pruned.leadsKept == 2 && !pruned.dryRun)
        #expect(try workspace.database.stagedRows(importId: lastNight.importId).map(\.sourceId) == ["9020"], "person 20's lead is only here")
        #expect(try workspace.database.stagedRows(importId: regionOld.importId).map(\.sourceId) == ["9104"])
        #expect(try workspace.database.stagedRows(importId: tonight.importId).count == 20)
        #expect(try workspace.database.stagedRows(importId: region.importId).count == 4)

        let reportAfter = try report(workspace.database)
        #expect(reportAfter == reportBefore, "the report counts the same leads: \(zip(reportAfter.figures, reportBefore.figures).filter { $0 != $1 })")
        let planAfter = try planned(workspace.database)
        #expect(planAfter == planBefore, "plans read the current imports only: \(Set(planAfter).symmetricDifference(planBefore))")
        #expect(try workspace.database.pruneStaging(leftPlansBefore: Date().addingTimeInterval(60)).imports.isEmpty, "nothing twice")
        let again = try Importer(database: workspace.database).run(
            try workspace.file("contacts-2026-11-30.csv", export(Array(1...19) + [21])), mapping: try BuiltInProfiles.profile(named: "localiq-contacts"))
        #expect(again.alreadyImportedAs == tonight.importId, "tonight's import is untouched: the same bytes are still a no-op")
    }

    @Test("a dry run removes nothing and says what a prune would; imports out of the plans for less than the retention stay")
    func dryRunAndRetention() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let (lastNight, _, regionOld, _) = try importNights(workspace)
        #expect(try workspace.database.pruneStaging(leftPlansBefore: Date().addingTimeInterval(-86_400)).imports.isEmpty, "out of the plans only just now")

        let dry = try workspace.database.pruneStaging(leftPlansBefore: Date().addingTimeInterval(60), dryRun: true)
        #expect(dry.dryRun && dry.imports.map(\.importId) == [regionOld.importId, lastNight.importId] && dry.rows == 23 && dry.leadsKept == 2)
        #expect(try workspace.database.stagedRows(importId: lastNight.importId).count == 20)
        #expect(try workspace.database.stagedRows(importId: regionOld.importId).count == 5)
        let real = try workspace.database.pruneStaging(leftPlansBefore: Date().addingTimeInterval(60))
        #expect(real.imports == dry.imports && real.rows == dry.rows)
    }
}

/// Webhook events: applied ones go after the retention; failed and pending ones stay.
@Suite struct WebhookEventPruneTests {
    @Test("applied and ignored events older than the retention are removed; failed, pending and recent ones stay")
    func oldAppliedEventsGo() throws {
        let workspace = try ImportWorkspace()
        defer { workspace.remove() }
        let database = workspace.database
        let now = Date()
        let old = now.addingTimeInterval(-40 * 86_400)
        for (id, status, at) in [("old-applied", "applied", old), ("old-ignored", "ignored", old), ("old-failed", "failed", old), ("new-applied", "applied", now)] {
            #expect(try database.storeWebhookEvent(webhookId: id, type: "ContactUpdate", locationId: "loc", eventTime: nil, receivedAt: at, body: Data("{}".utf8), signature: "sig"))
            try database.finishWebhookEvent(id, status: status, message: nil, at: at)
        }
        #expect(try database.storeWebhookEvent(webhookId: "old-pending", type: "ContactUpdate", locationId: "loc", eventTime: nil, receivedAt: old, body: Data("{}".utf8), signature: "sig"))
        let cutoff = now.addingTimeInterval(-30 * 86_400)
        #expect(try database.pruneWebhookEvents(finishedBefore: cutoff, dryRun: true) == 2)
        #expect(try database.webhookEvents().count == 5, "a dry run removes nothing")
        #expect(try database.pruneWebhookEvents(finishedBefore: cutoff) == 2)
        #expect(Set(try database.webhookEvents().map(\.webhookId)) == ["old-failed", "new-applied", "old-pending"])
        #expect(try database.pruneWebhookEvents(finishedBefore: cutoff) == 0)
    }
}
