import Foundation
import GRDB

/// Runs each section's aggregations and arranges them as figures and tables.
struct ReportBuilder {
    let period: ReportPeriod
    let limit: Int
    var figures: [Report.Figure] = []
    var tables: [Report.Table] = []

    init(period: ReportPeriod, limit: Int) {
        self.period = period
        self.limit = limit
    }

    typealias Cell = Report.Cell
    typealias Column = Report.Column

    // MARK: Acquisition

    mutating func acquisition(_ db: Database, _ q: QueryContext) throws {
        var series = SeriesCounts()
        var bySource = WindowCounts()
        var seriesBySource: [String: SeriesCounts] = [:]
        let rows = try Row.fetchAll(
            db,
            sql: """
                WITH \(q.buckets)
                SELECT b.win, b.idx, coalesce(nullif(trim(c.source), ''), '(no source)') AS source, count(*) AS n
                FROM b CROSS JOIN contacts c ON c.date_added >= b.lo AND c.date_added < b.hi
                GROUP BY b.win, b.idx, source
                """, arguments: q.bucketArguments)
        for row in rows {
            let (win, idx, source, n): (Int, Int, String, Double) = (row[0], row[1], row[2], row[3])
            series.add(win: win, idx: idx, n)
            bySource.add(win: win, key: source, n)
            if win == 0 { seriesBySource[source, default: SeriesCounts()].add(win: 0, idx: idx, n) }
        }
        let noSource = WindowCounts(current: ["": bySource.current["(no source)"] ?? 0], previous: ["": bySource.previous["(no source)"] ?? 0])
        figures.append(.init("new_contacts", .acquisition, "New contacts", .count, current: series.total(0), previous: series.total(1)))
        figures.append(
            .init("new_contacts_without_source", .acquisition, "New contacts without a source", .count, current: noSource.currentTotal,
                previous: noSource.previousTotal))

        // Per bucket, stacked by the five largest sources of this period.
        let top = Array(bySource.rankedKeys.filter { (bySource.current[$0] ?? 0) > 0 }.prefix(5))
        let hasOthers = bySource.current.keys.contains { !top.contains($0) }
        var columns = [Column("bucket", "Period"), Column("new_contacts", "New contacts", .count), Column("previous", "Previous period", .count)]
        columns += top.map { Column("source:" + $0, $0, .count) }
        if hasOthers { columns.append(Column("source:(others)", "(others)", .count)) }
        let bucketRows: [[Cell]] = q.labels.indices.map { idx in
            var cells: [Cell] = [.text(q.labels[idx]), .number(series.value(0, idx)), .number(series.value(1, idx))]
            cells += top.map { .number(seriesBySource[$0]?.value(0, idx) ?? 0) }
            if hasOthers {
                let shown = top.reduce(0.0) { $0 + (seriesBySource[$1]?.value(0, idx) ?? 0) }
                cells.append(.number(series.value(0, idx) - shown))
            }
            return cells
        }
        let stacked = columns.dropFirst(3).map(\.name)
        tables.append(
            Report.Table(
                id: "new_contacts_by_\(period.bucket.rawValue)", section: Report.Section.acquisition.rawValue,
                title: "New contacts per \(period.bucket.rawValue), by source",
                description: "Contacts whose dateAdded falls in each \(period.bucket.rawValue) (\(period.zone.identifier)), stacked by their five largest sources.",
                columns: columns, rows: bucketRows,
                chart: Report.Chart(kind: stacked.isEmpty ? .bar : .stackedBar, category: "bucket", series: stacked.isEmpty ? ["new_contacts"] : stacked)))
        tables.append(
            comparisonTable(
                id: "new_contacts_by_source", section: .acquisition, title: "New contacts by source", keyColumn: Column("source", "Source"),
                description: "HighLevel's source field of contacts added in the period; blank sources are '(no source)'.", counts: bySource))

        var attribution = WindowCounts()
        let attributionRows = try Row.fetchAll(
            db,
            sql: """
                WITH \(q.windows)
                SELECT w.win, coalesce(c.utm_source, '(none)'), coalesce(c.utm_medium, '(none)'), coalesce(c.utm_campaign, '(none)'), count(*)
                FROM w CROSS JOIN contacts c ON c.date_added >= w.lo AND c.date_added < w.hi
                GROUP BY 1, 2, 3, 4
                """, arguments: q.windowArguments)
        for row in attributionRows {
            let key = [row[1] as String, row[2] as String, row[3] as String].joined(separator: " / ")
            attribution.add(win: row[0], key: key, row[4])
        }
        tables.append(
            comparisonTable(
                id: "new_contacts_by_attribution", section: .acquisition, title: "New contacts by attribution (UTM source / medium / campaign)",
                keyColumn: Column("attribution", "Source / medium / campaign"),
                description: "First-touch attribution HighLevel recorded (attributionSource); '(none)' where a part is missing.",
                counts: attribution))
    }

    // MARK: LocaliQ leads

    mutating func leads(_ db: Database, _ q: QueryContext) throws {
        var byChannel = WindowCounts()
        var reachedByChannel = WindowCounts()
        var byCampaign = WindowCounts()
        let rows = try Row.fetchAll(
            db,
            sql: """
                WITH \(q.windows),
                leads AS (
                    SELECT w.win, min(s.row_id) AS row_id, s.lead_channel AS channel, s.lead_campaign AS campaign
                    FROM w CROSS JOIN staged_rows s ON s.lead_at >= w.lo AND s.lead_at < w.hi
                    JOIN imports i ON i.id = s.import_id AND i.status = 'done'
                    WHERE s.status = 'staged'
                    GROUP BY w.win, s.lead_key, s.lead_at, s.lead_channel
                )
                SELECT l.win, l.channel, l.campaign,
                    (EXISTS (SELECT 1 FROM links k JOIN contacts c ON c.id = k.contact_id AND c.deleted_at IS NULL WHERE k.localiq_id = s.source_id)
                        OR EXISTS (SELECT 1 FROM contacts c WHERE c.email_key = s.email_key AND c.deleted_at IS NULL)
                        OR EXISTS (SELECT 1 FROM contacts c WHERE c.phone_key = s.phone_key AND c.deleted_at IS NULL)) AS reached,
                    count(*)
                FROM leads l JOIN staged_rows s ON s.row_id = l.row_id
                GROUP BY 1, 2, 3, 4
                """, arguments: q.windowArguments)
        for row in rows {
            let (win, channel, campaign, reached, n): (Int, String, String, Bool, Double) = (row[0], row[1], row[2], row[3], row[4])
            byChannel.add(win: win, key: channel, n)
            byCampaign.add(win: win, key: campaign, n)
            if reached { reachedByChannel.add(win: win, key: channel, n) }
        }
        figures.append(.init("localiq_leads", .leads, "LocaliQ leads", .count, current: byChannel.currentTotal, previous: byChannel.previousTotal))
        figures.append(
            .init(
                "localiq_leads_in_highlevel", .leads, "LocaliQ leads found in HighLevel", .count, current: reachedByChannel.currentTotal,
                previous: reachedByChannel.previousTotal))
        figures.append(
            .init(
                "localiq_leads_in_highlevel_share", .leads, "Share of LocaliQ leads found in HighLevel", .percent,
                current: Report.percent(reachedByChannel.currentTotal, of: byChannel.currentTotal),
                previous: Report.percent(reachedByChannel.previousTotal, of: byChannel.previousTotal)))

        var channelTable = comparisonTable(
            id: "localiq_leads_by_channel", section: .leads, title: "LocaliQ leads by channel", keyColumn: Column("channel", "Channel"),
            description: "Calls, forms and chats from the imported LocaliQ files, by when they happened; contacts without an interaction are '(none)'.",
            counts: byChannel)
        channelTable.columns += [Column("in_highlevel", "Found in HighLevel", .count), Column("in_highlevel_share", "Found in HighLevel %", .percent)]
        for index in channelTable.rows.indices {
            guard case .text(let channel) = channelTable.rows[index][0] else { continue }
            let reached = reachedByChannel.current[channel] ?? 0
            let share = channel == "(others)" ? nil : Report.percent(reached, of: byChannel.current[channel] ?? 0)
            channelTable.rows[index] += [channel == "(others)" ? .empty : .number(reached), share.map { .number(Report.rounded($0)) } ?? .empty]
        }
        tables.append(channelTable)
        tables.append(
            comparisonTable(
                id: "localiq_leads_by_campaign", section: .leads, title: "LocaliQ leads by campaign", keyColumn: Column("campaign", "Campaign"),
                description: "The LocaliQ campaign of each lead (the interaction's campaign, else the row's campaign or source).", counts: byCampaign))
    }

    // MARK: Engagement

    mutating func engagement(_ db: Database, _ q: QueryContext) throws {
        var series = SeriesCounts()
        for row in try Row.fetchAll(
            db,
            sql: """
                WITH \(q.buckets)
                SELECT b.win, b.idx, count(*) FROM b CROSS JOIN notes n ON n.date_added >= b.lo AND n.date_added < b.hi GROUP BY 1, 2
                """, arguments: q.bucketArguments)
        {
            series.add(win: row[0], idx: row[1], row[2])
        }
        var notes = [0.0, 0.0]
        var contacts = [0.0, 0.0]
        for row in try Row.fetchAll(
            db,
            sql: """
                WITH \(q.windows)
                SELECT w.win, count(*), count(DISTINCT n.contact_id) FROM w CROSS JOIN notes n ON n.date_added >= w.lo AND n.date_added < w.hi
                GROUP BY 1
                """, arguments: q.windowArguments)
        {
            let win: Int = row[0]
            notes[win] = row[1]
            contacts[win] = row[2]
        }
        figures.append(.init("notes_added", .engagement, "Notes added", .count, current: notes[0], previous: notes[1]))
        figures.append(.init("contacts_with_notes", .engagement, "Contacts with new notes", .count, current: contacts[0], previous: contacts[1]))
        figures.append(
            .init(
                "notes_per_contact", .engagement, "Notes per contact with notes", .ratio, current: contacts[0] > 0 ? notes[0] / contacts[0] : nil,
                previous: contacts[1] > 0 ? notes[1] / contacts[1] : nil))
        tables.append(
            seriesTable(
                id: "notes_by_\(period.bucket.rawValue)", section: .engagement, title: "Notes per \(period.bucket.rawValue)",
                description: "Notes by their dateAdded; the previous column is the same point of the previous period.", labels: q.labels,
                series: [("notes", "Notes", series, 0), ("previous", "Previous period", series, 1)], chart: .line))
    }

    // MARK: Sales activity

    mutating func sales(_ db: Database, _ q: QueryContext) throws {
        var created = SeriesCounts()
        var completed = SeriesCounts()
        for (column, target) in [("created_at", 0), ("completed_at", 1)] {
            for row in try Row.fetchAll(
                db,
                sql: """
                    WITH \(q.buckets)
                    SELECT b.win, b.idx, count(*) FROM b CROSS JOIN tasks t \(column == "completed_at" ? "INDEXED BY tasks_completed_due ON t.completed = 1 AND" : "ON")
                        t.\(column) >= b.lo AND t.\(column) < b.hi GROUP BY 1, 2
                    """, arguments: q.bucketArguments)
            {
                if target == 0 { created.add(win: row[0], idx: row[1], row[2]) } else { completed.add(win: row[0], idx: row[1], row[2]) }
            }
        }
        let who = "coalesce(nullif(trim(t.assigned_to), ''), '(unassigned)')"
        var createdBy = WindowCounts()
        for row in try Row.fetchAll(
            db,
            sql: """
                WITH \(q.windows)
                SELECT w.win, \(who), count(*) FROM w CROSS JOIN tasks t ON t.created_at >= w.lo AND t.created_at < w.hi GROUP BY 1, 2
                """, arguments: q.windowArguments)
        {
            createdBy.add(win: row[0], key: row[1], row[2])
        }
        var overdueBy = WindowCounts()
        for row in try Row.fetchAll(
            db,
            sql: """
                WITH \(q.windows)
                SELECT win, who, count(*) FROM (
                    SELECT w.win, \(who) AS who FROM w CROSS JOIN tasks t INDEXED BY tasks_open_due ON t.completed = 0 AND t.due_date < w.hi
                    WHERE t.created_at IS NULL OR t.created_at < w.hi
                    UNION ALL
                    SELECT w.win, \(who) AS who FROM w CROSS JOIN tasks t INDEXED BY tasks_completed_due ON t.completed = 1 AND t.completed_at >= w.hi
                    WHERE t.due_date < w.hi AND (t.created_at IS NULL OR t.created_at < w.hi)
                )
                GROUP BY 1, 2
                """, arguments: q.windowArguments)
        {
            overdueBy.add(win: row[0], key: row[1], row[2])
        }
        let (completedBy, medianBy) = try completions(db, q, who: who)
        let (_, medianAll) = try completions(db, q, who: "'(all)'")

        figures.append(.init("tasks_created", .sales, "Tasks created", .count, current: created.total(0), previous: created.total(1)))
        figures.append(.init("tasks_completed", .sales, "Tasks completed", .count, current: completed.total(0), previous: completed.total(1)))
        figures.append(
            .init("tasks_overdue", .sales, "Tasks overdue at the end of the period", .count, current: overdueBy.currentTotal, previous: overdueBy.previousTotal))
        figures.append(
            .init(
                "task_median_hours_to_complete", .sales, "Median hours from task created to completed", .hours, current: medianAll.current["(all)"],
                previous: medianAll.previous["(all)"]))
        tables.append(
            seriesTable(
                id: "tasks_by_\(period.bucket.rawValue)", section: .sales, title: "Tasks created and completed per \(period.bucket.rawValue)",
                description: "Tasks by when they were created and when they were completed (as the mirror observed; see docs/metrics.md).",
                labels: q.labels,
                series: [
                    ("created", "Created", created, 0), ("completed", "Completed", completed, 0), ("previous_created", "Created, previous period", created, 1),
                    ("previous_completed", "Completed, previous period", completed, 1),
                ], chart: .line, charted: ["created", "completed"]))

        var assignees = Set(createdBy.current.keys).union(completedBy.current.keys).union(overdueBy.current.keys)
        assignees.formUnion(completedBy.previous.keys)
        let ranked = assignees.sorted { a, b in
            let (x, y) = ((createdBy.current[a] ?? 0) + (completedBy.current[a] ?? 0), (createdBy.current[b] ?? 0) + (completedBy.current[b] ?? 0))
            return x != y ? x > y : a < b
        }
        let rows: [[Cell]] = ranked.map { name in
            let median = medianBy.current[name]
            return [
                .text(name), .number(createdBy.current[name] ?? 0), .number(completedBy.current[name] ?? 0), .number(overdueBy.current[name] ?? 0),
                median.map { .number(Report.rounded($0)) } ?? .empty, .number(completedBy.previous[name] ?? 0),
                Report.change(completedBy.current[name] ?? 0, completedBy.previous[name] ?? 0).map(Cell.number) ?? .empty,
            ]
        }
        tables.append(
            Report.Table(
                id: "tasks_by_assignee", section: Report.Section.sales.rawValue, title: "Tasks per assignee",
                description: "Created and completed in the period, overdue at its end, median hours to complete; compared on completions.",
                columns: [
                    Column("assignee", "Assignee"), Column("created", "Created", .count), Column("completed", "Completed", .count),
                    Column("overdue", "Overdue at end", .count), Column("median_hours", "Median hours to complete", .hours),
                    Column("previous_completed", "Completed, previous period", .count), Column("change_percent", "Change %", .percent),
                ], rows: rows, chart: Report.Chart(kind: .bar, category: "assignee", series: ["created", "completed"])))
    }

    /// Completions per `who` in each window, and the median hours from creation to completion
    /// over the tasks whose creation time is known.
    private func completions(_ db: Database, _ q: QueryContext, who: String) throws -> (WindowCounts, WindowCounts) {
        var completedBy = WindowCounts()
        var medianBy = WindowCounts()
        for row in try Row.fetchAll(
            db,
            sql: """
                WITH \(q.windows),
                done AS (
                    SELECT w.win, \(who) AS who,
                        CASE WHEN t.created_at IS NOT NULL AND t.created_at <= t.completed_at
                            THEN (julianday(t.completed_at) - julianday(t.created_at)) * 24 END AS hours
                    FROM w CROSS JOIN tasks t INDEXED BY tasks_completed_due ON t.completed = 1 AND t.completed_at >= w.lo AND t.completed_at < w.hi
                ),
                ranked AS (
                    SELECT win, who, hours, row_number() OVER (PARTITION BY win, who ORDER BY hours) AS position,
                        count(*) OVER (PARTITION BY win, who) AS total
                    FROM done WHERE hours IS NOT NULL
                ),
                medians AS (
                    SELECT win, who, avg(hours) AS median FROM ranked WHERE position IN ((total + 1) / 2, (total + 2) / 2) GROUP BY win, who
                )
                SELECT d.win, d.who, count(*), m.median FROM done d LEFT JOIN medians m ON m.win = d.win AND m.who = d.who GROUP BY d.win, d.who
                """, arguments: q.windowArguments)
        {
            let (win, name): (Int, String) = (row[0], row[1])
            completedBy.add(win: win, key: name, row[2])
            if let median = row[3] as Double? { medianBy.add(win: win, key: name, median) }
        }
        return (completedBy, medianBy)
    }

    // MARK: Appointments

    static let appointmentStatus = """
        CASE lower(replace(replace(replace(coalesce(a.status, ''), '-', ''), '_', ''), ' ', ''))
            WHEN 'confirmed' THEN 'confirmed' WHEN 'showed' THEN 'showed' WHEN 'noshow' THEN 'no-show'
            WHEN 'cancelled' THEN 'cancelled' WHEN 'canceled' THEN 'cancelled' WHEN 'new' THEN 'new' WHEN 'booked' THEN 'new'
            WHEN 'invalid' THEN 'invalid' WHEN '' THEN '(none)' ELSE 'other' END
        """

    mutating func appointments(_ db: Database, _ q: QueryContext) throws {
        var booked = SeriesCounts()
        var bookedByStatus: [String: SeriesCounts] = [:]
        var byStatus = WindowCounts()
        for row in try Row.fetchAll(
            db,
            sql: """
                WITH \(q.buckets)
                SELECT b.win, b.idx, \(Self.appointmentStatus) AS status, count(*)
                FROM b CROSS JOIN appointments a ON a.date_added >= b.lo AND a.date_added < b.hi
                GROUP BY 1, 2, 3
                """, arguments: q.bucketArguments)
        {
            let (win, idx, status, n): (Int, Int, String, Double) = (row[0], row[1], row[2], row[3])
            booked.add(win: win, idx: idx, n)
            byStatus.add(win: win, key: status, n)
            if win == 0 { bookedByStatus[status, default: SeriesCounts()].add(win: 0, idx: idx, n) }
        }
        var showed = [0.0, 0.0]
        var noShow = [0.0, 0.0]
        for row in try Row.fetchAll(
            db,
            sql: """
                WITH \(q.windows)
                SELECT w.win, sum(\(Self.appointmentStatus) = 'showed'), sum(\(Self.appointmentStatus) = 'no-show')
                FROM w CROSS JOIN appointments a ON a.start_time >= w.lo AND a.start_time < w.hi
                GROUP BY 1
                """, arguments: q.windowArguments)
        {
            let win: Int = row[0]
            showed[win] = row[1] ?? 0
            noShow[win] = row[2] ?? 0
        }
        var newContacts = [0.0, 0.0]
        var converted = [0.0, 0.0]
        for row in try Row.fetchAll(
            db,
            sql: """
                WITH \(q.windows)
                SELECT w.win, count(*),
                    sum(EXISTS (SELECT 1 FROM appointments a WHERE a.contact_id = c.id AND (a.date_added IS NULL OR a.date_added < w.hi)))
                FROM w CROSS JOIN contacts c ON c.date_added >= w.lo AND c.date_added < w.hi
                GROUP BY 1
                """, arguments: q.windowArguments)
        {
            let win: Int = row[0]
            newContacts[win] = row[1]
            converted[win] = row[2] ?? 0
        }
        figures.append(.init("appointments_booked", .appointments, "Appointments booked", .count, current: booked.total(0), previous: booked.total(1)))
        figures.append(
            .init(
                "appointment_show_rate", .appointments, "Show rate (showed ÷ showed + no-show)", .percent,
                current: Report.percent(showed[0], of: showed[0] + noShow[0]), previous: Report.percent(showed[1], of: showed[1] + noShow[1])))
        figures.append(
            .init(
                "lead_to_appointment", .appointments, "New contacts with an appointment", .percent, current: Report.percent(converted[0], of: newContacts[0]),
                previous: Report.percent(converted[1], of: newContacts[1])))

        let order = ["new", "confirmed", "showed", "no-show", "cancelled", "invalid", "other", "(none)"]
        let statuses = order.filter { bookedByStatus[$0] != nil }
        var columns = [Column("bucket", "Period"), Column("booked", "Booked", .count), Column("previous", "Previous period", .count)]
        columns += statuses.map { Column("status:" + $0, $0, .count) }
        let rows: [[Cell]] = q.labels.indices.map { idx in
            [.text(q.labels[idx]), .number(booked.value(0, idx)), .number(booked.value(1, idx))]
                + statuses.map { .number(bookedByStatus[$0]?.value(0, idx) ?? 0) }
        }
        tables.append(
            Report.Table(
                id: "appointments_by_\(period.bucket.rawValue)", section: Report.Section.appointments.rawValue,
                title: "Appointments booked per \(period.bucket.rawValue), by status",
                description: "Appointments by when they were booked (dateAdded), stacked by their current status.", columns: columns, rows: rows,
                chart: Report.Chart(kind: statuses.isEmpty ? .bar : .stackedBar, category: "bucket", series: statuses.isEmpty ? ["booked"] : statuses.map { "status:" + $0 })))
        tables.append(
            comparisonTable(
                id: "appointments_by_status", section: .appointments, title: "Appointments booked by status", keyColumn: Column("status", "Status"),
                description: "HighLevel's appointmentStatus of the appointments booked in the period.", counts: byStatus, limitRows: false))
    }

    // MARK: Tags

    mutating func tags(_ db: Database, _ q: QueryContext) throws {
        var totals: [(key: String, label: String, contacts: Double)] = []
        for row in try Row.fetchAll(
            db,
            sql: """
                WITH sets AS (
                    SELECT tags, count(*) AS n FROM contacts INDEXED BY contacts_date_added WHERE deleted_at IS NULL GROUP BY tags
                )
                SELECT lower(j.value) AS k, min(j.value), sum(sets.n) AS n FROM sets, json_each(sets.tags) j
                WHERE j.type = 'text'
                GROUP BY k ORDER BY n DESC, k LIMIT ?
                """, arguments: [limit])
        {
            totals.append((row[0], row[1], row[2]))
        }
        // Per window, each distinct tag set once with its count; then its tags. Rows with no tag
        // name carry the count of contacts with at least one tag.
        var added = WindowCounts()
        var tagged = [0.0, 0.0]
        for row in try Row.fetchAll(
            db,
            sql: """
                WITH \(q.windows),
                sets AS MATERIALIZED (
                    SELECT w.win, c.tags, count(*) AS n FROM w CROSS JOIN contacts c ON c.date_added >= w.lo AND c.date_added < w.hi
                    GROUP BY w.win, c.tags
                )
                SELECT win, lower(j.value), sum(n) FROM sets, json_each(sets.tags) j WHERE j.type = 'text' GROUP BY 1, 2
                UNION ALL
                SELECT win, NULL, sum(n) FROM sets WHERE tags <> '[]' GROUP BY 1
                """, arguments: q.windowArguments)
        {
            let win: Int = row[0]
            if let key = row[1] as String? { added.add(win: win, key: key, row[2]) } else { tagged[win] = row[2] }
        }
        figures.append(.init("new_contacts_tagged", .tags, "New contacts with at least one tag", .count, current: tagged[0], previous: tagged[1]))
        let rows: [[Cell]] = totals.map { tag in
            let (now, before) = (added.current[tag.key] ?? 0, added.previous[tag.key] ?? 0)
            return [.text(tag.label), .number(tag.contacts), .number(now), .number(before), Report.change(now, before).map(Cell.number) ?? .empty]
        }
        tables.append(
            Report.Table(
                id: "top_tags", section: Report.Section.tags.rawValue, title: "Top tags",
                description: "The tags most contacts carry now (case-insensitive), and how many contacts added in each period carry them.",
                columns: [
                    Column("tag", "Tag"), Column("contacts", "Contacts now", .count), Column("new_contacts", "New contacts with the tag", .count),
                    Column("previous", "Previous period", .count), Column("change_percent", "Change %", .percent),
                ], rows: rows, chart: Report.Chart(kind: .bar, category: "tag", series: ["new_contacts", "previous"])))
    }

    // MARK: Sync health

    mutating func sync(_ db: Database, _ q: QueryContext) throws {
        struct Totals {
            var runs = 0.0, ok = 0.0, failed = 0.0, requests = 0.0, throttled = 0.0, retries = 0.0
        }
        var byKind: [Int: [String: Totals]] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                WITH \(q.windows)
                SELECT w.win, r.kind, count(*), sum(r.status = 'ok'), sum(r.status NOT IN ('ok', 'running')), sum(r.requests), sum(r.throttled),
                    sum(r.retries)
                FROM w CROSS JOIN runs r ON r.started_at >= w.lo AND r.started_at < w.hi
                GROUP BY 1, 2
                """, arguments: q.windowArguments)
        {
            byKind[row[0], default: [:]][row[1]] = Totals(
                runs: row[2], ok: row[3] ?? 0, failed: row[4] ?? 0, requests: row[5] ?? 0, throttled: row[6] ?? 0, retries: row[7] ?? 0)
        }
        var outcomes = WindowCounts()
        for row in try Row.fetchAll(
            db,
            sql: """
                WITH \(q.windows)
                SELECT w.win, CASE j.status WHEN 'done' THEN 'applied' ELSE j.status END, count(*)
                FROM w CROSS JOIN apply_journal j ON j.at >= w.lo AND j.at < w.hi GROUP BY 1, 2
                """, arguments: q.windowArguments)
        {
            outcomes.add(win: row[0], key: row[1], row[2])
        }
        func sum(_ win: Int, _ value: (Totals) -> Double) -> Double { byKind[win]?.values.reduce(0) { $0 + value($1) } ?? 0 }
        for kind in ["pull", "plan", "apply"] {
            figures.append(
                .init("\(kind)_runs", .sync, "\(kind.capitalized) runs", .count, current: byKind[0]?[kind]?.runs ?? 0, previous: byKind[1]?[kind]?.runs ?? 0))
        }
        for status in ["applied", "failed", "stale"] {
            figures.append(
                .init(
                    "changes_\(status)", .sync, "Changes \(status)", .count, current: outcomes.current[status] ?? 0, previous: outcomes.previous[status] ?? 0))
        }
        figures.append(.init("api_requests", .sync, "HighLevel API requests", .count, current: sum(0, \.requests), previous: sum(1, \.requests)))
        figures.append(.init("api_throttled", .sync, "Answers 429 (rate limited)", .count, current: sum(0, \.throttled), previous: sum(1, \.throttled)))
        figures.append(.init("api_retries", .sync, "Retried requests", .count, current: sum(0, \.retries), previous: sum(1, \.retries)))

        let kinds = Set(byKind[0]?.keys.map { $0 } ?? []).union(byKind[1]?.keys.map { $0 } ?? []).sorted()
        let rows: [[Cell]] = kinds.map { kind in
            let now = byKind[0]?[kind] ?? Totals()
            let before = byKind[1]?[kind] ?? Totals()
            return [
                .text(kind), .number(now.runs), .number(now.ok), .number(now.failed), .number(now.requests), .number(now.throttled), .number(now.retries),
                .number(before.runs), .number(before.requests),
            ]
        }
        tables.append(
            Report.Table(
                id: "sync_runs", section: Report.Section.sync.rawValue, title: "Runs by kind",
                description: "Every pull, plan, apply and nightly run started in the period, with the HighLevel API calls it made.",
                columns: [
                    Column("kind", "Kind"), Column("runs", "Runs", .count), Column("ok", "Succeeded", .count), Column("failed", "Failed or stopped", .count),
                    Column("requests", "API requests", .count), Column("throttled", "429 answers", .count), Column("retries", "Retries", .count),
                    Column("previous_runs", "Runs, previous period", .count), Column("previous_requests", "API requests, previous period", .count),
                ], rows: rows, chart: Report.Chart(kind: .bar, category: "kind", series: ["requests"])))
        tables.append(
            comparisonTable(
                id: "apply_outcomes", section: .sync, title: "Change outcomes", keyColumn: Column("outcome", "Outcome"),
                description: "Changes journaled by apply in the period: applied, failed, or skipped as stale.", counts: outcomes, limitRows: false))
    }

    // MARK: Table shapes

    /// key | this period | previous period | change %, ranked, longer lists cut to `limit`
    /// rows plus one "(others)" row.
    func comparisonTable(
        id: String, section: Report.Section, title: String, keyColumn: Column, description: String, counts: WindowCounts, limitRows: Bool = true
    ) -> Report.Table {
        let keys = counts.rankedKeys
        let shown = limitRows ? Array(keys.prefix(limit)) : keys
        var rows: [[Cell]] = shown.map { key in
            let (now, before) = (counts.current[key] ?? 0, counts.previous[key] ?? 0)
            return [.text(key), .number(now), .number(before), Report.change(now, before).map(Cell.number) ?? .empty]
        }
        if shown.count < keys.count {
            let rest = keys.dropFirst(shown.count)
            let now = rest.reduce(0.0) { $0 + (counts.current[$1] ?? 0) }
            let before = rest.reduce(0.0) { $0 + (counts.previous[$1] ?? 0) }
            rows.append([.text("(others)"), .number(now), .number(before), Report.change(now, before).map(Cell.number) ?? .empty])
        }
        return Report.Table(
            id: id, section: section.rawValue, title: title, description: description,
            columns: [keyColumn, Column("current", "This period", .count), Column("previous", "Previous period", .count), Column("change_percent", "Change %", .percent)],
            rows: rows, chart: Report.Chart(kind: .bar, category: keyColumn.name, series: ["current", "previous"]))
    }

    /// bucket | one column per series (window 0 or 1 of a `SeriesCounts`).
    func seriesTable(
        id: String, section: Report.Section, title: String, description: String, labels: [String],
        series: [(name: String, title: String, counts: SeriesCounts, win: Int)], chart: Report.Chart.Kind, charted: [String]? = nil
    ) -> Report.Table {
        let rows: [[Cell]] = labels.indices.map { idx in [.text(labels[idx])] + series.map { .number($0.counts.value($0.win, idx)) } }
        return Report.Table(
            id: id, section: section.rawValue, title: title, description: description,
            columns: [Column("bucket", "Period")] + series.map { Column($0.name, $0.title, .count) }, rows: rows,
            chart: Report.Chart(kind: chart, category: "bucket", series: charted ?? series.map(\.name)))
    }
}
