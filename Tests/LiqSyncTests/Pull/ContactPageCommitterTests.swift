import Foundation
import LiqSync
import Testing

/// The pull writes contact pages behind the fetching, several pages to a transaction when they
/// come faster than they are written.
@Suite struct ContactPageCommitterTests {
    static func contact(_ index: Int, lastName: String = "Quillfeather") -> Contact? {
        Contact(json: .object([
            "id": .string("c\(index)"), "firstName": .string("Person\(index)"), "lastName": .string(lastName),
            "email": .string("p\(index)@example.com"), "dateUpdated": .string("2026-11-20T10:00:00.000Z"),
        ]))
    }

    @Test func pagesAddedFasterThanTheyAreWrittenLandInOrderWithTheLastCursorAndRepeatsCountOnce() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-committer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let mirror = try MirrorDatabase(file: root.appendingPathComponent("mirror.sqlite"))
        var state = try await mirror.beginPull(full: true, entities: ["contacts"], since: nil)
        var committer = ContactPageCommitter(mirror: mirror, state: state, batchLimit: 250)
        for page in 0..<20 {
            var contacts = (page * 100..<page * 100 + 100).compactMap { Self.contact($0) }
            // Overlapping pages: page 5 repeats a contact of page 4 unchanged, page 6 repeats one
            // of page 5 changed in between — in the same batch or the next.
            if page == 5 { contacts += [Self.contact(450)].compactMap { $0 } }
            if page == 6 { contacts += [Self.contact(550, lastName: "Renamedbetweenpages")].compactMap { $0 } }
            state.cursor = .string("page \(page)")
            try await committer.add(contacts, state: state, pulledAt: Date())
        }
        let finished = try await committer.finish()

        #expect(finished.counts["contacts"]?.new == 2000)
        #expect(finished.counts["contacts"]?.updated == 1)
        #expect(finished.cursor == .string("page 19"))
        let saved = try await mirror.activePull()
        #expect(saved?.cursor == .string("page 19"), "the state saved with the last page is the one a rerun resumes from")
        #expect(saved?.counts == finished.counts)
        #expect(try await mirror.queuedCount() == 2000)
        _ = try await mirror.finishContactPhase(finished, at: Date())
        #expect(try mirror.search("Renamedbetweenpages", in: [.contacts], limit: 5).count == 1, "the later version is the one kept")
        #expect(try mirror.search("Quillfeather", in: [.contacts], limit: 5000).count == 1999)
    }

    @Test func aPullThatAddsNothingStillSavesItsState() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-committer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let mirror = try MirrorDatabase(file: root.appendingPathComponent("mirror.sqlite"))
        var state = try await mirror.beginPull(full: false, entities: ["contacts"], since: nil)
        var committer = ContactPageCommitter(mirror: mirror, state: state)
        state.cursor = .string("end")
        try await committer.add([], state: state, pulledAt: Date())
        let finished = try await committer.finish()
        #expect(finished.cursor == .string("end"))
        #expect(try await mirror.activePull()?.cursor == .string("end"))
        #expect(finished.counts["contacts"] == RecordCounts())
    }
}
