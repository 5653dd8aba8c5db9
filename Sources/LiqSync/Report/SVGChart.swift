import Foundation

/// Draws a report table's chart as inline SVG: bars (grouped when several series), stacked
/// bars or lines, with axes, gridlines, a legend, and a title and text alternative for screen
/// readers. Plain shapes and system fonts only, so it renders offline and prints.
enum SVGChart {
    static let palette = ["#1f6feb", "#e36209", "#2da44e", "#8250df", "#cf222e", "#9a6700", "#0a7b83", "#57606a"]
    static let width = 760.0
    static let height = 300.0
    static let margin = (left: 60.0, right: 16.0, top: 36.0, bottom: 70.0)

    static func render(_ table: Report.Table, id: String) -> String? {
        guard let chart = table.chart, let categoryIndex = table.columns.firstIndex(where: { $0.name == chart.category }) else { return nil }
        let seriesIndexes = chart.series.compactMap { name in table.columns.firstIndex { $0.name == name } }
        let labels = table.rows.map { $0[categoryIndex].display }
        let values = seriesIndexes.map { column in table.rows.map { $0[column].number ?? 0 } }
        let names = seriesIndexes.map { table.columns[$0].title }
        let kindName: String
        switch chart.kind {
        case .bar: kindName = "Bar chart"
        case .stackedBar: kindName = "Stacked bar chart"
        case .line: kindName = "Line chart"
        }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="\(id)-title \(id)-desc" viewBox="0 0 \(Int(width)) \(Int(height))" \
            width="\(Int(width))" height="\(Int(height))" class="chart">
            <title id="\(id)-title">\(Markup.escape(table.title))</title>
            <desc id="\(id)-desc">\(Markup.escape(describe(kindName, labels: labels, names: names, values: values)))</desc>

            """
        let maximum: Double
        switch chart.kind {
        case .stackedBar: maximum = labels.indices.map { i in values.reduce(0) { $0 + max($1[i], 0) } }.max() ?? 0
        case .bar, .line: maximum = values.flatMap { $0 }.max() ?? 0
        }
        guard !labels.isEmpty, maximum > 0 else {
            svg += "<text x=\"\(Int(width / 2))\" y=\"\(Int(height / 2))\" text-anchor=\"middle\" class=\"empty\">No data in this period</text>\n</svg>"
            return svg
        }
        let whole = values.allSatisfy { $0.allSatisfy { $0 == $0.rounded() } }
        let top = whole ? max(niceCeiling(maximum), 4) : niceCeiling(maximum)
        let plotWidth = width - margin.left - margin.right
        let plotHeight = height - margin.top - margin.bottom
        func y(_ value: Double) -> Double { margin.top + plotHeight - value / top * plotHeight }

        // Legend, gridlines and the y axis.
        var legendX = margin.left
        for (index, name) in names.enumerated() {
            svg += "<rect x=\"\(f(legendX))\" y=\"10\" width=\"12\" height=\"12\" fill=\"\(color(index))\"/>"
            svg += "<text x=\"\(f(legendX + 16))\" y=\"20\" class=\"legend\">\(Markup.escape(name))</text>\n"
            legendX += 16 + Double(min(name.count, 40)) * 6.5 + 18
        }
        for step in 0...4 {
            let value = top * Double(step) / 4
            svg += "<line x1=\"\(f(margin.left))\" x2=\"\(f(width - margin.right))\" y1=\"\(f(y(value)))\" y2=\"\(f(y(value)))\" class=\"grid\"/>"
            svg += "<text x=\"\(f(margin.left - 6))\" y=\"\(f(y(value) + 4))\" text-anchor=\"end\" class=\"tick\">\(Report.format(value))</text>\n"
        }
        svg += "<line x1=\"\(f(margin.left))\" x2=\"\(f(width - margin.right))\" y1=\"\(f(y(0)))\" y2=\"\(f(y(0)))\" class=\"axis\"/>\n"

        let slot = plotWidth / Double(labels.count)
        switch chart.kind {
        case .bar:
            let barWidth = slot * 0.8 / Double(values.count)
            for (series, points) in values.enumerated() {
                for (i, value) in points.enumerated() where value > 0 {
                    let x = margin.left + slot * Double(i) + slot * 0.1 + barWidth * Double(series)
                    svg += "<rect x=\"\(f(x))\" y=\"\(f(y(value)))\" width=\"\(f(barWidth))\" height=\"\(f(y(0) - y(value)))\" fill=\"\(color(series))\">"
                    svg += "<title>\(Markup.escape("\(labels[i]) — \(names[series]): \(Report.format(value))"))</title></rect>\n"
                }
            }
        case .stackedBar:
            for i in labels.indices {
                var base = 0.0
                for (series, points) in values.enumerated() where points[i] > 0 {
                    let x = margin.left + slot * Double(i) + slot * 0.15
                    svg += "<rect x=\"\(f(x))\" y=\"\(f(y(base + points[i])))\" width=\"\(f(slot * 0.7))\" height=\"\(f(y(base) - y(base + points[i])))\" "
                    svg += "fill=\"\(color(series))\"><title>\(Markup.escape("\(labels[i]) — \(names[series]): \(Report.format(points[i]))"))</title></rect>\n"
                    base += points[i]
                }
            }
        case .line:
            for (series, points) in values.enumerated() {
                let coordinates = points.enumerated().map { i, value in "\(f(margin.left + slot * (Double(i) + 0.5))),\(f(y(value)))" }
                svg += "<polyline points=\"\(coordinates.joined(separator: " "))\" fill=\"none\" stroke=\"\(color(series))\" stroke-width=\"2\"/>\n"
                if points.count <= 62 {
                    for (i, value) in points.enumerated() {
                        svg += "<circle cx=\"\(f(margin.left + slot * (Double(i) + 0.5)))\" cy=\"\(f(y(value)))\" r=\"3\" fill=\"\(color(series))\">"
                        svg += "<title>\(Markup.escape("\(labels[i]) — \(names[series]): \(Report.format(value))"))</title></circle>\n"
                    }
                }
            }
        }

        // Category labels: every one when they fit, else every k-th; slanted when long.
        let every = max(1, Int((Double(labels.count) / 16).rounded(.up)))
        let slanted = labels.contains { $0.count > 8 } || labels.count > 8
        for (i, label) in labels.enumerated() where i % every == 0 {
            let x = margin.left + slot * (Double(i) + 0.5)
            let text = label.count > 22 ? String(label.prefix(21)) + "…" : label
            if slanted {
                svg += "<text x=\"\(f(x))\" y=\"\(f(y(0) + 14))\" text-anchor=\"end\" transform=\"rotate(-35 \(f(x)) \(f(y(0) + 14)))\" class=\"tick\">"
            } else {
                svg += "<text x=\"\(f(x))\" y=\"\(f(y(0) + 16))\" text-anchor=\"middle\" class=\"tick\">"
            }
            svg += "\(Markup.escape(text))</text>\n"
        }
        svg += "</svg>"
        return svg
    }

    /// The text alternative: the kind of chart and its values, the first 24 categories.
    static func describe(_ kind: String, labels: [String], names: [String], values: [[Double]]) -> String {
        guard !labels.isEmpty else { return "\(kind) with no data in this period." }
        var parts: [String] = []
        for (series, name) in names.enumerated() {
            let shown = labels.indices.prefix(24).map { "\(labels[$0]) \(Report.format(values[series][$0]))" }
            parts.append("\(name): " + shown.joined(separator: ", "))
        }
        let more = labels.count > 24 ? " … and \(labels.count - 24) more; the table below has every value." : "."
        return "\(kind). " + parts.joined(separator: "; ") + more
    }

    /// The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(value)))
        for step in [1.0, 2.0, 2.5, 5.0, 10.0] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    static func color(_ index: Int) -> String { palette[index % palette.count] }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
