import Foundation
import LiqSync
import Testing

/// Each metric on `ReportFixture`, with answers worked out by hand from its records.
@Suite struct ReporterTests {
    func report(zone: TimeZone = ReportFixture.chicago, populate: Bool = true) throws -> Report {
        let fixture = try ReportFixture()
        defer { fixture.remove() }
        if populate { try fixture.populate() }
        return try Reporter(database: fixture.mirror).make(try ReportFixture.week(zone: zone), generatedAt: ReportFixture.date("2026-11-23T12:00:00.000Z"))
    }

    func figure(_ report: Report, _ id: String) -> (Double?, Double?, Double?) {
        let figure = report.figures.first { $0.id == id }
        return (figure?.current, figure?.previous, figure?.changePercent)
    }

    func table(_ report: Report, _ id: String) -> [[String]] {
        report.tables.first { $0.id == id }?.rows.map { $0.map(\.display) } ?? [["missing table \(id)"]]
    }

    @Test func periodAndPreviousPeriod() throws {
        let report = try report()
        let window = report.period
        #expect([window.label, window.from, window.to, window.previousFrom, window.previousTo, window.timeZone] == [
            "2026-W47", "2026-11-16", "2026-11-22", "2026-11-09", "2026-11-15", "America/Chicago",
        ])
        #expect(window.bucket == .day)
    }

    @Test func acquisitionCountsContactsByLocalDay() throws {
        let report = try report()
        #expect(figure(report, "new_contacts") == (3, 3, 0))
        #expect(figure(report, "new_contacts_without_source") == (1, 1, 0))
        // c1 at 00:00 local on the 16th is day one; c2 one second earlier is the previous week's last day;
        // c3 at 23:59 on the 22nd is the last day; c4 at midnight after is in neither.
        #expect(table(report, "new_contacts_by_day").map { Array($0.prefix(3)) } == [
            ["2026-11-16", "1", "1"], ["2026-11-17", "0", "1"], ["2026-11-18", "1", "0"], ["2026-11-19", "0", "0"],
            ["2026-11-20", "0", "0"], ["2026-11-21", "0", "0"], ["2026-11-22", "1", "1"],
        ])
        #expect(table(report, "new_contacts_by_source") == [["(no source)", "1", "1", "0"], ["Google Ads", "1", "1", "0"], ["Yelp", "1", "1", "0"]])
        #expect(table(report, "new_contacts_by_attribution") == [["(none) / (none) / (none)", "2", "3", "-33.30"], ["google / cpc / spring", "1", "0", ""]])
    }

    @Test func dayBoundariesFollowTheZone() throws {
        // In UTC, c2 (05:59:59Z on the 16th) is in this week and c3 (05:59Z on the 23rd) is not.
        let report = try report(zone: .gmt)
        #expect(figure(report, "new_contacts").0 == 3)
        #expect(table(report, "new_contacts_by_day").first.map { Array($0.prefix(3)) } == ["2026-11-16", "2", "1"])
        #expect(table(report, "new_contacts_by_day").last.map { Array($0.prefix(3)) } == ["2026-11-22", "0", "0"])
    }

    @Test func localiqLeadsByChannelCampaignAndReach() throws {
        let report = try report()
        #expect(figure(report, "localiq_leads") == (2, 1, 100))
        #expect(figure(report, "localiq_leads_in_highlevel") == (1, 1, 0))
        #expect(figure(report, "localiq_leads_in_highlevel_share") == (50, 100, -50))
        #expect(table(report, "localiq_leads_by_channel") == [
            ["call", "1", "0", "", "1", "100"], ["form", "1", "0", "", "0", "0"], ["chat", "0", "1", "-100", "0", ""],
        ])
        #expect(table(report, "localiq_leads_by_campaign") == [["Spring Promo", "2", "0", ""], ["Fall", "0", "1", "-100"]])
    }

    @Test func notesPerDayAndPerContact() throws {
        let report = try report()
        #expect(figure(report, "notes_added") == (3, 1, 200))
        #expect(figure(report, "contacts_with_notes") == (2, 1, 100))
        #expect(figure(report, "notes_per_contact") == (1.5, 1, 50))
        #expect(table(report, "notes_by_day").prefix(2).map { $0 } == [["2026-11-16", "1", "0"], ["2026-11-17", "2", "0"]])
        #expect(table(report, "notes_by_day")[3] == ["2026-11-19", "0", "1"])
    }

    @Test func tasksCreatedCompletedOverdueAndMedian() throws {
        let report = try report()
        #expect(figure(report, "tasks_created") == (3, 1, 200))
        #expect(figure(report, "tasks_completed") == (3, 0, nil))
        #expect(figure(report, "tasks_overdue") == (1, 1, 0))
        // 6 h (t3), 48 h (t1), 240 h (t4): the median is 48.
        #expect(figure(report, "task_median_hours_to_complete") == (48, nil, nil))
        #expect(table(report, "tasks_by_assignee") == [
            ["u1", "2", "1", "1", "48", "0", ""], ["u2", "1", "1", "0", "6", "0", ""], ["(unassigned)", "0", "1", "0", "240", "0", ""],
        ])
    }

    @Test func appointmentsBookedStatusShowRateAndConversion() throws {
        let report = try report()
        #expect(figure(report, "appointments_booked") == (3, 1, 200))
        #expect(figure(report, "appointment_show_rate") == (50, 100, -50))
        #expect(figure(report, "lead_to_appointment") == (66.67, 33.33, 100))
        // Ranked by this period, then the previous one, then name.
        #expect(table(report, "appointments_by_status") == [
            ["showed", "1", "1", "0"], ["confirmed", "1", "0", ""], ["no-show", "1", "0", ""],
        ])
    }

    @Test func topTagsAndTheirGrowth() throws {
        let report = try report()
        #expect(figure(report, "new_contacts_tagged") == (2, 1, 100))
        #expect(table(report, "top_tags") == [["Lead", "3", "2", "1", "100"], ["VIP", "1", "1", "0", ""]])
    }

    @Test func syncHealthFromRuns() throws {
        let report = try report()
        #expect(figure(report, "pull_runs") == (1, 1, 0))
        #expect(figure(report, "apply_runs") == (1, 0, nil))
        #expect(figure(report, "api_requests") == (130, 50, 160))
        #expect(figure(report, "api_throttled") == (2, 0, nil))
        #expect(figure(report, "api_retries") == (3, 0, nil))
        #expect(table(report, "sync_runs") == [["apply", "1", "0", "1", "10", "0", "0", "0", "0"], ["pull", "1", "1", "0", "120", "2", "3", "1", "50"]])
    }

    @Test func changeOutcomesCountJournaledChanges() throws {
        let fixture = try ReportFixture()
        defer { fixture.remove() }
        try fixture.mirror.recordOutcome(planId: "p1", JournalEntry(changeId: 1, status: .done))
        try fixture.mirror.recordOutcome(planId: "p1", JournalEntry(changeId: 2, status: .done))
        try fixture.mirror.recordOutcome(planId: "p1", JournalEntry(changeId: 3, status: .stale))
        try fixture.mirror.recordOutcome(planId: "p1", JournalEntry(changeId: 4, status: .failed))
        let period = try ReportPeriod.resolve(from: nil, to: nil, period: .day, zone: .gmt, now: Date().addingTimeInterval(86_400))
        let report = try Reporter(database: fixture.mirror).make(period)
        #expect(figure(report, "changes_applied").0 == 2)
        #expect(figure(report, "changes_stale").0 == 1)
        #expect(figure(report, "changes_failed").0 == 1)
    }

    @Test func anEmptyPeriodHasZerosAndNoRows() throws {
        let fixture = try ReportFixture()
        defer { fixture.remove() }
        try fixture.populate()
        let period = try ReportPeriod(firstDay: ReportPeriod.parseDay("2020-01-01"), lastDay: ReportPeriod.parseDay("2020-01-07"), zone: .gmt)
        let report = try Reporter(database: fixture.mirror).make(period)
        #expect(figure(report, "new_contacts") == (0, 0, nil))
        #expect(figure(report, "appointment_show_rate") == (nil, nil, nil))
        #expect(figure(report, "task_median_hours_to_complete") == (nil, nil, nil))
        #expect(table(report, "new_contacts_by_source").isEmpty)
        #expect(table(report, "new_contacts_by_day").count == 7)
        #expect(table(report, "new_contacts_by_day").allSatisfy { $0[1] == "0" && $0[2] == "0" })
        // Tags held now are still listed; no new contact carries them.
        #expect(table(report, "top_tags").map { $0[2] } == ["0", "0"])
        let html = ReportHTML.render(report)
        #expect(html.contains("No data in this period"))
    }

    @Test func periodsResolveFromOptions() throws {
        let now = ReportFixture.date("2026-11-25T15:00:00.000Z")  // a Wednesday
        let week = try ReportPeriod.resolve(from: nil, to: nil, period: nil, zone: ReportFixture.chicago, now: now)
        #expect([week.label, week.firstDayText, week.lastDayText, week.previousFirstDayText] == ["2026-W47", "2026-11-16", "2026-11-22", "2026-11-09"])
        let month = try ReportPeriod.resolve(from: nil, to: nil, period: .month, zone: ReportFixture.chicago, now: now)
        #expect([month.label, month.firstDayText, month.lastDayText, month.previousFirstDayText] == ["2026-10", "2026-10-01", "2026-10-31", "2026-08-31"])
        let day = try ReportPeriod.resolve(from: nil, to: nil, period: .day, zone: ReportFixture.chicago, now: now)
        #expect([day.label, day.firstDayText] == ["2026-11-24", "2026-11-24"])
        let long = try ReportPeriod.resolve(from: "2026-01-01", to: "2026-06-30", period: nil, zone: .gmt, now: now)
        #expect(long.bucket == .week && long.buckets().first?.label == "2026-01-01" && long.buckets()[1].label == "2026-01-05")
        #expect(throws: ReportError.self) { try ReportPeriod.resolve(from: "2026-02-30x", to: nil, period: nil, zone: .gmt, now: now) }
        #expect(throws: ReportError.self) { try ReportPeriod.resolve(from: "2026-03-01", to: "2026-02-01", period: nil, zone: .gmt, now: now) }
    }
}
