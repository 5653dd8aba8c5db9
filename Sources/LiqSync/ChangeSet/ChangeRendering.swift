import Foundation

/// Change sets as people read them: text lines (coloured on a terminal) and a self-contained
/// HTML review page. The library returns text; the CLI prints it.
public enum ChangeRendering {
    /// ANSI colours, or none.
    public struct Style: Sendable {
        public var color: Bool
        public init(color: Bool) { self.color = color }

        func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        func old(_ text: String) -> String { paint(text, "31") }
        func new(_ text: String) -> String { paint(text, "32") }
        func warn(_ text: String) -> String { paint(text, "33") }
        func bold(_ text: String) -> String { paint(text, "1") }
    }

    /// A value for display: text quoted, lists joined, nothing as an em dash.
    public static func display(_ value: JSON?) -> String {
        switch value {
        case nil, .null?: "—"
        case .string(let text)?: "\"\(text)\""
        case .array(let items)?: "[" + items.map { $0.string ?? $0.canonicalText }.joined(separator: ", ") + "]"
        case let other?: other.canonicalText
        }
    }

    /// Who the change is about, in a few words.
    public static func subject(_ key: RecordKey) -> String {
        var parts: [String] = []
        if let email = key.email { parts.append(email) } else if let phone = key.phone { parts.append(phone) }
        var ids: [String] = []
        if let id = key.highlevelId { ids.append("HighLevel \(id)") }
        if let id = key.localiqId { ids.append("LocaliQ \(id)") }
        if !ids.isEmpty { parts.append("(" + ids.joined(separator: ", ") + ")") }
        return parts.joined(separator: " ")
    }

    /// The lines of one change.
    public static func lines(_ change: Change, style: Style) -> [String] {
        var head = "#\(change.id) \(change.target.rawValue) \(change.entity.rawValue) \(change.op.rawValue)  \(subject(change.key))"
        if let conflict = change.conflict { head += "  " + style.warn("[conflict: \(conflict.kind.rawValue)]") }
        var lines = [style.bold(head), "    \(change.reason)"]
        if let candidates = change.conflict?.candidates, !candidates.isEmpty {
            lines.append("    could be: " + candidates.joined(separator: ", "))
        }
        if change.fields.isEmpty {
            for (field, value) in change.after.sorted(by: { $0.key < $1.key }) { lines.append("    \(field): " + style.new(display(value))) }
        }
        for diff in change.fields {
            var line = "    \(diff.field): "
            if change.conflict == nil, diff.proposed != nil {
                let current = change.target == .highlevel ? diff.highlevel : diff.localiq
                line += style.old(display(current)) + " → " + style.new(display(diff.proposed))
                line += "   (base \(display(diff.base)); HighLevel \(display(diff.highlevel)); LocaliQ \(display(diff.localiq)))"
            } else {
                line += "base \(display(diff.base)) → HighLevel \(style.warn(display(diff.highlevel))) / LocaliQ \(style.warn(display(diff.localiq)))"
            }
            lines.append(line)
        }
        if let decision = change.decision {
            var text = "    decision: \(decision.verdict.rawValue) by \(decision.by) at \(decision.at)"
            if let resolution = decision.resolution, !resolution.isEmpty {
                text += "; resolved " + resolution.sorted { $0.key < $1.key }.map { "\($0.key) = \(display($0.value))" }.joined(separator: ", ")
            }
            lines.append(text)
        } else if change.conflict != nil {
            lines.append("    " + style.warn("needs a resolution: --resolve \(change.id)=highlevel | \(change.id)=localiq | \(change.id)=field:value"))
        }
        return lines
    }

    // MARK: HTML

    static func escape(_ text: String) -> String { Markup.escape(text) }

    /// Changes a review page shows in full, at most: a first sync's plan can hold a hundred
    /// thousand, a page of which (over 100 MB) no browser opens comfortably.
    public static let pageLimit = 5_000

    /// A self-contained review page: counts of the whole plan, then the selected conflicts, then
    /// the other selected changes, each with its field diffs — at most `limit` of them in full,
    /// conflicts first, with a note saying how many more there are and how to narrow the page.
    /// No scripts, no network; prints cleanly.
    public static func html(
        _ set: ChangeSet, path: String, selected: (Change) -> Bool = { _ in true }, limit: Int = pageLimit
    ) -> String {
        let summary = ChangeSetSummary(set, path: path)
        var body = """
            <h1>liqsync plan review</h1>
            <p class="meta">Plan <code>\(escape(set.header.planId))</code>, made \(escape(set.header.created)), direction \(escape(set.header.direction)); \
            \(summary.changes) changes, \(summary.conflicts) conflicts, \(summary.accepted) accepted, \(summary.rejected) rejected.</p>
            <table class="counts"><caption>Changes by target, entity and operation</caption>
            <thead><tr><th scope="col">target</th><th scope="col">entity</th><th scope="col">operation</th><th scope="col">count</th></tr></thead><tbody>

            """
        for (key, count) in summary.counts.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "/").map(String.init)
            body += "<tr><td>\(escape(parts[0]))</td><td>\(escape(parts[1]))</td><td>\(escape(parts[2]))</td><td>\(count)</td></tr>\n"
        }
        body += "</tbody></table>\n"
        let conflicts = set.changes.filter { $0.conflict != nil && selected($0) }
        let others = set.changes.filter { $0.conflict == nil && selected($0) }
        let shownConflicts = conflicts.prefix(limit)
        let shownOthers = others.prefix(max(0, limit - shownConflicts.count))
        let hidden = conflicts.count + others.count - shownConflicts.count - shownOthers.count
        if hidden > 0 {
            body += """
                <p class="note"><strong>\(shownConflicts.count + shownOthers.count) of the \(conflicts.count + others.count) selected changes are \
                shown in full</strong> (conflicts first); \(hidden) more are not. Narrow the page with <code>--conflicts</code>, \
                <code>--entity</code>, <code>--op</code>, <code>--target</code> or <code>--field</code>, or review them with \
                <code>liqsync review</code> on a terminal.</p>

                """
        }
        if !conflicts.isEmpty {
            body += "<h2>Conflicts (\(conflicts.count))</h2>\n" + shownConflicts.map(section).joined()
        }
        body += "<h2>Changes (\(others.count))</h2>\n" + shownOthers.map(section).joined()
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8" />
            <title>liqsync plan review — \(escape(set.header.planId))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
            table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
            th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
            section { border-left: 4px solid #8aa; padding-left: 0.75rem; margin-bottom: 1.25rem; page-break-inside: avoid; }
            section.conflict { border-color: #c80; }
            .old { background: #fdd; text-decoration: line-through; }
            .new { background: #dfd; }
            .meta, .reason { color: #555; }
            .note { background: #ffd; padding: 0.5rem; }
            </style>
            </head>
            <body>
            \(body)
            </body>
            </html>

            """
    }

    private static func section(_ change: Change) -> String {
        var html = "<section class=\"\(change.conflict == nil ? "change" : "conflict")\" id=\"change-\(change.id)\">\n"
        html += "<h3>#\(change.id) \(escape(change.target.rawValue)) \(escape(change.entity.rawValue)) \(escape(change.op.rawValue)) — \(escape(subject(change.key)))</h3>\n"
        html += "<p class=\"reason\">\(escape(change.reason))"
        if let conflict = change.conflict { html += " — <strong>conflict: \(escape(conflict.kind.rawValue))</strong>" }
        if let candidates = change.conflict?.candidates, !candidates.isEmpty { html += "; could be \(escape(candidates.joined(separator: ", ")))" }
        html += "</p>\n"
        if !change.fields.isEmpty {
            html += "<table><thead><tr><th scope=\"col\">field</th><th scope=\"col\">base</th><th scope=\"col\">HighLevel</th><th scope=\"col\">LocaliQ</th><th scope=\"col\">proposed</th></tr></thead><tbody>\n"
            for diff in change.fields {
                let highlevelClass = change.target == .highlevel && diff.proposed != nil ? " class=\"old\"" : ""
                let localiqClass = change.target == .localiq && diff.proposed != nil ? " class=\"old\"" : ""
                html += "<tr><th scope=\"row\">\(escape(diff.field))</th><td>\(escape(display(diff.base)))</td>"
                html += "<td\(highlevelClass)>\(escape(display(diff.highlevel)))</td><td\(localiqClass)>\(escape(display(diff.localiq)))</td>"
                html += "<td class=\"new\">\(escape(display(diff.proposed)))</td></tr>\n"
            }
            html += "</tbody></table>\n"
        } else if !change.after.isEmpty {
            html += "<table><tbody>\n"
            for (field, value) in change.after.sorted(by: { $0.key < $1.key }) {
                html += "<tr><th scope=\"row\">\(escape(field))</th><td class=\"new\">\(escape(display(value)))</td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        if let decision = change.decision {
            html += "<p class=\"meta\">Decision: \(escape(decision.verdict.rawValue)) by \(escape(decision.by)) at \(escape(decision.at))</p>\n"
        }
        return html + "</section>\n"
    }
}
