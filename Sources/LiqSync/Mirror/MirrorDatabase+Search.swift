import Foundation
import GRDB

/// Which mirrored records a search looks at.
public enum SearchScope: String, Sendable, CaseIterable, Codable {
    case contacts, notes, tasks, appointments
}

/// One search result: what it is, which contact it belongs to, a snippet with the match marked.
public struct SearchHit: Sendable, Codable, Equatable {
    public var kind: SearchScope
    public var id: String
    public var contactId: String
    public var title: String
    public var snippet: String
    /// bm25 score; lower is better.
    public var rank: Double
}

extension MirrorDatabase {
    /// Full-text search with bm25 ranking. User text becomes an FTS5 pattern only through
    /// `FTS5Pattern` (every word must match, as a prefix), so quotes, `*`, `NEAR`, parentheses or
    /// SQL in it are plain words, never syntax. Throws `MirrorError.emptyQuery` when nothing is
    /// left to search for.
    public func search(_ text: String, in scopes: [SearchScope] = SearchScope.allCases, limit: Int = 20) throws -> [SearchHit] {
        let words = text.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? Character($0) : " " }
        guard let pattern = FTS5Pattern(matchingAllPrefixesIn: String(words)) else { throw MirrorError.emptyQuery }
        return try writer.read { db in
            var hits: [SearchHit] = []
            for scope in scopes {
                for row in try Row.fetchAll(db.cachedStatement(sql: Self.searchSQL(scope)), arguments: [pattern, limit]) {
                    hits.append(
                        SearchHit(
                            kind: scope, id: row["id"], contactId: row["contact_id"], title: row["title"] ?? "",
                            snippet: row["snippet"] ?? "", rank: row["rank"]))
                }
            }
            return Array(hits.sorted { $0.rank < $1.rank }.prefix(limit))
        }
    }

    /// Fixed statements per scope. `rank` is each index's own column, weighted by the
    /// `v2-fts-rank-weights` migration (names weigh most for contacts).
    private static func searchSQL(_ scope: SearchScope) -> String {
        switch scope {
        case .contacts:
            """
            SELECT c.id, c.id AS contact_id, COALESCE(c.name, c.email, c.phone, c.id) AS title,
                snippet(contacts_fts, -1, '[', ']', '…', 10) AS snippet, contacts_fts.rank AS rank
            FROM contacts_fts JOIN contacts c ON c.rowid = contacts_fts.rowid
            WHERE contacts_fts MATCH ? AND c.deleted_at IS NULL ORDER BY contacts_fts.rank LIMIT ?
            """
        case .notes:
            """
            SELECT n.id, n.contact_id, COALESCE(n.title, 'Note') AS title,
                snippet(notes_fts, -1, '[', ']', '…', 12) AS snippet, notes_fts.rank AS rank
            FROM notes_fts JOIN notes n ON n.rowid = notes_fts.rowid
            WHERE notes_fts MATCH ? ORDER BY notes_fts.rank LIMIT ?
            """
        case .tasks:
            """
            SELECT t.id, t.contact_id, COALESCE(t.title, 'Task') AS title,
                snippet(tasks_fts, -1, '[', ']', '…', 12) AS snippet, tasks_fts.rank AS rank
            FROM tasks_fts JOIN tasks t ON t.rowid = tasks_fts.rowid
            WHERE tasks_fts MATCH ? ORDER BY tasks_fts.rank LIMIT ?
            """
        case .appointments:
            """
            SELECT a.id, a.contact_id, COALESCE(a.title, 'Appointment') AS title,
                snippet(appointments_fts, -1, '[', ']', '…', 12) AS snippet, appointments_fts.rank AS rank
            FROM appointments_fts JOIN appointments a ON a.rowid = appointments_fts.rowid
            WHERE appointments_fts MATCH ? ORDER BY appointments_fts.rank LIMIT ?
            """
        }
    }
}
