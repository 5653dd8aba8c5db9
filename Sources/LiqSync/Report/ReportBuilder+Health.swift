import Foundation
import GRDB

/// Tags and sync health.
extension ReportBuilder {
    // MARK: Tags

    mutating func tags(_ db: Database, _ q: QueryContext) throws {
        var totals: [(key: String, label: String, contacts: Double)] = []
        for row in try Row.fetchAll(
            db,
            sql: """
                WITH sets AS (
                    SELECT tags, count(*) AS n FROM contacts INDEXED BY contacts_live_tags WHERE deleted_at IS NULL GROUP BY tags
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
}
