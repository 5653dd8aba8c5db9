import Foundation
import GRDB

/// Engagement, sales activity and appointments.
extension ReportBuilder {
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
}
