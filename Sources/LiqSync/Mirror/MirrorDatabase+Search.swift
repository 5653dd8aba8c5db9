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
                let (sql, weights) = Self.searchSQL(scope)
                for row in try Row.fetchAll(db, sql: sql.replacingOccurrences(of: "$WEIGHTS", with: weights), arguments: [pattern, limit]) {
                    hits.append(
                        SearchHit(
                            kind: scope, id: row["id"], contactId: row["contact_id"], title: row["title"] ?? "",
                            snippet: row["snippet"] ?? "", rank: row["rank"]))
                }
            }
            return Array(hits.sorted { $0.rank < $1.rank }.prefix(limit))
        }
    }

    /// Fixed statements per scope; name matches weigh most for contacts.
    private static func searchSQL(_ scope: SearchScope) -> (String, String) {
        switch scope {
        case .contacts:
            return (
                """
                SELECT c.id, c.id AS contact_id, COALESCE(c.name, c.email, c.phone, c.id) AS title,
                    snippet(contacts_fts, -1, '[', ']', '…', 10) AS snippet, bm25(contacts_fts, $WEIGHTS) AS rank
                FROM contacts_fts JOIN contacts c ON c.rowid = contacts_fts.rowid
                WHERE contacts_fts MATCH ? AND c.deleted_at IS NULL ORDER BY rank LIMIT ?
                """, "10.0, 5.0, 5.0, 2.0, 1.0"
            )
        case .notes:
            return (
                """
                SELECT n.id, n.contact_id, COALESCE(n.title, 'Note') AS title,
                    snippet(notes_fts, -1, '[', ']', '…', 12) AS snippet, bm25(notes_fts, $WEIGHTS) AS rank
                FROM notes_fts JOIN notes n ON n.rowid = notes_fts.rowid
                WHERE notes_fts MATCH ? ORDER BY rank LIMIT ?
                """, "3.0, 1.0"
            )
        case .tasks:
            return (
                """
                SELECT t.id, t.contact_id, COALESCE(t.title, 'Task') AS title,
                    snippet(tasks_fts, -1, '[', ']', '…', 12) AS snippet, bm25(tasks_fts, $WEIGHTS) AS rank
                FROM tasks_fts JOIN tasks t ON t.rowid = tasks_fts.rowid
                WHERE tasks_fts MATCH ? ORDER BY rank LIMIT ?
                """, "3.0, 1.0"
            )
        case .appointments:
            return (
                """
                SELECT a.id, a.contact_id, COALESCE(a.title, 'Appointment') AS title,
                    snippet(appointments_fts, -1, '[', ']', '…', 12) AS snippet, bm25(appointments_fts, $WEIGHTS) AS rank
                FROM appointments_fts JOIN appointments a ON a.rowid = appointments_fts.rowid
                WHERE appointments_fts MATCH ? ORDER BY rank LIMIT ?
                """, "3.0, 1.0"
            )
        }
    }
}
