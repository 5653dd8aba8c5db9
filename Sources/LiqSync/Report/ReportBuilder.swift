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
                    SELECT w.win, min(l.row_id) AS row_id, l.channel, l.campaign
                    FROM staged_leads l JOIN w ON l.lead_at >= w.lo AND l.lead_at < w.hi
                    JOIN staged_rows s ON s.row_id = l.row_id AND s.status = 'staged'
                    JOIN imports i ON i.id = s.import_id AND i.status = 'done'
                    GROUP BY w.win, l.lead_key, l.lead_at, l.channel
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
