import Foundation

/// The report as one self-contained HTML page: figures per section, then each table under its
/// chart. No scripts, no external files, well-formed XML, readable when printed.
public enum ReportHTML {
    public static func render(_ report: Report) -> String {
        let window = report.period
        var html = """
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
            <head>
            <meta charset="utf-8"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <title>liqsync report \(Markup.escape(window.label))</title>
            <style>\(style)</style>
            </head>
            <body>
            <header>
            <h1>Marketing and sales report — \(Markup.escape(window.label))</h1>
            <p>\(Markup.escape(window.from)) to \(Markup.escape(window.to)) (\(Markup.escape(window.timeZone))), compared with \
            \(Markup.escape(window.previousFrom)) to \(Markup.escape(window.previousTo)). Generated \(Markup.escape(report.generatedAt)) by liqsync.</p>
            <nav><ul>
            """
        let sections = Report.Section.allCases.filter { section in
            report.figures.contains { $0.section == section.rawValue } || report.tables.contains { $0.section == section.rawValue }
        }
        for section in sections { html += "<li><a href=\"#\(section.rawValue)\">\(Markup.escape(section.title))</a></li>" }
        html += "</ul></nav>\n</header>\n<main>\n"
        for section in sections {
            html += "<section id=\"\(section.rawValue)\">\n<h2>\(Markup.escape(section.title))</h2>\n"
            let figures = report.figures.filter { $0.section == section.rawValue }
            if !figures.isEmpty {
                html += "<div class=\"figures\">\n"
                for figure in figures { html += figureCard(figure) }
                html += "</div>\n"
            }
            for table in report.tables where table.section == section.rawValue {
                html += "<figure id=\"\(Markup.escape(table.id))\">\n"
                if let svg = SVGChart.render(table, id: "chart-" + table.id) { html += svg + "\n" }
                html += "<figcaption><strong>\(Markup.escape(table.title))</strong> — \(Markup.escape(table.description))</figcaption>\n"
                html += tableHTML(table)
                html += "</figure>\n"
            }
            html += "</section>\n"
        }
        html += """
            </main>
            <footer><p>Definitions of every figure: docs/metrics.md. CSV and JSON of every table are beside this file.</p></footer>
            </body>
            </html>

            """
        return html
    }

    static func figureCard(_ figure: Report.Figure) -> String {
        let change = changeText(figure.changePercent, current: figure.current, previous: figure.previous)
        let trend = (figure.changePercent ?? 0) > 0 ? "up" : (figure.changePercent ?? 0) < 0 ? "down" : "flat"
        return """
            <div class="figure" id="figure-\(Markup.escape(figure.id))"><div class="label">\(Markup.escape(figure.title))</div>\
            <div class="value">\(Markup.escape(valueText(figure.current, figure.unit)))</div>\
            <div class="previous">previous: \(Markup.escape(valueText(figure.previous, figure.unit))) \
            <span class="change \(trend)">\(Markup.escape(change))</span></div></div>

            """
    }

    static func tableHTML(_ table: Report.Table) -> String {
        var html = "<table>\n<thead><tr>"
        for column in table.columns {
            html += "<th scope=\"col\"\(column.unit == nil ? "" : " class=\"num\"")>\(Markup.escape(column.title))</th>"
        }
        html += "</tr></thead>\n<tbody>\n"
        if table.rows.isEmpty {
            html += "<tr><td colspan=\"\(table.columns.count)\" class=\"empty\">No data in this period.</td></tr>\n"
        }
        for row in table.rows {
            html += "<tr>"
            for (index, cell) in row.enumerated() {
                let unit = index < table.columns.count ? table.columns[index].unit : nil
                if index == 0 {
                    html += "<th scope=\"row\">\(Markup.escape(cell.display))</th>"
                } else if unit == .percent, case .number(let value) = cell, table.columns[index].name.hasPrefix("change") {
                    html += "<td class=\"num\">\(Markup.escape(changeText(value, current: nil, previous: nil)))</td>"
                } else {
                    html += "<td\(unit == nil ? "" : " class=\"num\"")>\(Markup.escape(cell.display))</td>"
                }
            }
            html += "</tr>\n"
        }
        html += "</tbody>\n</table>\n"
        return html
    }

    static func valueText(_ value: Double?, _ unit: Report.Unit) -> String {
        guard let value else { return "—" }
        switch unit {
        case .count: return Report.format(value)
        case .percent: return String(format: "%.1f%%", value)
        case .hours: return String(format: "%.1f h", value)
        case .ratio: return String(format: "%.2f", value)
        }
    }

    static func changeText(_ change: Double?, current: Double?, previous: Double?) -> String {
        if let change { return String(format: "%@%.1f%%", change > 0 ? "+" : change < 0 ? "−" : "±", abs(change)) }
        if let current, current != 0, previous == 0 { return "new" }
        return "—"
    }

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;margin:0 auto;max-width:980px;padding:16px 24px}
        h1{font-size:22px;margin:8px 0}h2{font-size:18px;border-bottom:2px solid #d0d7de;padding-bottom:4px;margin-top:32px}
        nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:12px}nav a{color:#0969da}
        .figures{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
        .figure{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;min-width:150px;flex:1 1 150px}
        .figure .label{font-size:12px;color:#57606a}.figure .value{font-size:22px;font-weight:600}
        .figure .previous{font-size:12px;color:#57606a}.change.up{color:#1a7f37}.change.down{color:#cf222e}
        figure{margin:20px 0;break-inside:avoid}figcaption{margin:6px 0;color:#424a53}
        svg.chart{max-width:100%;height:auto;font-family:inherit}svg .grid{stroke:#d8dee4;stroke-width:1}svg .axis{stroke:#57606a;stroke-width:1}
        svg .tick{font-size:11px;fill:#57606a}svg .legend{font-size:12px;fill:#1f2328}svg .empty{font-size:14px;fill:#57606a}
        table{border-collapse:collapse;width:100%;font-size:13px;margin-top:6px}
        th,td{border-bottom:1px solid #d8dee4;padding:4px 8px;text-align:left;vertical-align:top}
        .num{text-align:right;font-variant-numeric:tabular-nums}thead th{background:#f6f8fa}td.empty{color:#57606a;font-style:italic}
        footer{margin-top:32px;color:#57606a;font-size:12px}
        @media print{body{max-width:none;padding:0}nav{display:none}section{break-before:auto}figure,table,.figures{break-inside:avoid}
        a{color:inherit;text-decoration:none}.figure{border-color:#999}}
        """
}
