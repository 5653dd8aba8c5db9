import Foundation

/// The drop folder: which files to import tonight, importing them, and the archive they go to.
extension NightlyRunner {
    /// The CSV/JSON files of the drop folder (or the one file), oldest first, and the archive
    /// they go to once imported.
    func dropFiles() throws -> (files: [URL], archive: URL) {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: options.export.path, isDirectory: &isFolder) else { throw NightlyError.missingExport(options.export.path) }
        let files: [URL]
        let archive = archiveFolder()
        if isFolder.boolValue {
            let entries = try manager.contentsOfDirectory(at: options.export, includingPropertiesForKeys: [.contentModificationDateKey, .isRegularFileKey])
            files = entries.filter { url in
                let name = url.lastPathComponent.lowercased()
                let regular = (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) ?? false
                return regular && !name.hasPrefix(".") && !name.contains(".errors.") && ["csv", "json", "jsonl", "ndjson", "txt"].contains(url.pathExtension.lowercased())
            }.sorted { a, b in
                let (da, db) = (Self.modified(a), Self.modified(b))
                return da != db ? da < db : a.lastPathComponent < b.lastPathComponent
            }
        } else {
            files = [options.export]
        }
        return (files, archive)
    }

    /// Of the files, those modified in the last 30 seconds whose size or time changes while they
    /// are watched for `settleSeconds`: an upload still in progress, imported half-written
    /// otherwise (and moved away under the uploader).
    func stillBeingWritten(_ files: [URL]) async -> Set<URL> {
        guard options.settleSeconds > 0 else { return [] }
        func state(_ url: URL) -> (size: Int, modified: Date)? {
            guard let values = try? url.resourceValues(forKeys: [.fileSizeKey, .contentModificationDateKey]) else { return nil }
            return (values.fileSize ?? -1, values.contentModificationDate ?? .distantPast)
        }
        let young = files.compactMap { url in state(url).flatMap { $0.modified > Date(timeIntervalSinceNow: -30) ? (url, $0) : nil } }
        guard !young.isEmpty else { return [] }
        try? await Task.sleep(for: .seconds(options.settleSeconds))
        return Set(young.filter { url, before in state(url).map { $0.size != before.size || $0.modified != before.modified } ?? true }.map(\.0))
    }

    /// Imports the files, oldest first, and moves each into the archive folder (with its errors
    /// file) once imported; `waiting` are left in the drop folder for the next run.
    func importDropFolder(_ mirror: MirrorDatabase, files: [URL], archive: URL, waiting: Set<URL>, result: inout NightlyResult) throws -> NightlyStep {
        let manager = FileManager.default
        let zone = TimeZone(identifier: config.timezone) ?? .gmt
        let profiles = try BuiltInProfiles.all()
        var counts = ["files": 0, "read": 0, "staged": 0, "rejected": 0, "already": 0]
        var rejected: [String] = []
        for file in files {
            let summary: ImportSummary
            do {
                let mapping = try options.mapping ?? ProfileDetector.detect(file, profiles: profiles).0
                summary = try Importer(database: mirror).run(file, mapping: mapping, options: ImportOptions(zone: zone))
            } catch let error as ImportError where error.isTheFilesFault {
                // One bad file must not stop every night's run until someone removes it: it is
                // moved aside with the reason beside it, the others are imported, and the run ends
                // with exit 3 and a notification.
                let folder = Self.day(archive).appendingPathComponent("rejected")
                try manager.createDirectory(at: folder, withIntermediateDirectories: true)
                let destination = Self.freeName(file.lastPathComponent, in: folder)
                try manager.moveItem(at: file, to: destination)
                let advice = "Fix the file and put it back into the drop folder for the next run, or import it by hand: liqsync import '\(destination.path)'"
                try Data((error.localizedDescription + "\n" + advice + "\n").utf8).write(to: destination.appendingPathExtension("error.txt"))
                result.rejectedFiles.append(destination.path)
                rejected.append("\(file.lastPathComponent) (moved to \(destination.path)): \(error.localizedDescription)")
                logger.error("nightly import: \(file.lastPathComponent) could not be imported and was moved to \(destination.path): \(error.localizedDescription)")
                continue
            }
            counts["files", default: 0] += 1
            if summary.alreadyImportedAs != nil {
                counts["already", default: 0] += 1
            } else {
                counts["read", default: 0] += summary.rowsRead
                counts["staged", default: 0] += summary.rowsStaged
                counts["rejected", default: 0] += summary.rowsRejected
                result.rejectedRows += summary.rowsRejected
                if let replaced = summary.replaced, !replaced.isEmpty { counts["replaced", default: 0] += replaced.count }
            }
            let day = Self.day(archive)
            try manager.createDirectory(at: day, withIntermediateDirectories: true)
            var moving = [file]
            if let errors = summary.errorsFile { moving.append(URL(fileURLWithPath: errors)) }
            for item in moving where manager.fileExists(atPath: item.path) {
                try manager.moveItem(at: item, to: Self.freeName(item.lastPathComponent, in: day))
            }
        }
        if !rejected.isEmpty { counts["rejectedFiles"] = rejected.count }
        if !waiting.isEmpty { counts["waiting"] = waiting.count }
        var notes: [String] = []
        if !waiting.isEmpty {
            notes.append("left for the next run, still being written: " + waiting.map(\.lastPathComponent).sorted().joined(separator: ", "))
        }
        if !rejected.isEmpty { notes.append("could not import " + rejected.joined(separator: "; ")) }
        let detail = notes.isEmpty ? (files.isEmpty ? "no new files" : nil) : notes.joined(separator: "; ")
        return NightlyStep(name: "import", status: "ok", counts: counts, detail: detail)
    }

    /// Today's folder in the archive.
    static func day(_ archive: URL) -> URL {
        archive.appendingPathComponent(String(Timestamp.format(Date()).prefix(10)))
    }

    /// `name` in `folder`, or `name-2.ext`, `name-3.ext`… when taken.
    static func freeName(_ name: String, in folder: URL) -> URL {
        let item = URL(fileURLWithPath: name)
        var destination = folder.appendingPathComponent(name)
        var copy = 1
        while FileManager.default.fileExists(atPath: destination.path) {
            copy += 1
            destination = folder.appendingPathComponent("\(item.deletingPathExtension().lastPathComponent)-\(copy).\(item.pathExtension)")
        }
        return destination
    }

    /// Where imported files are moved: `--archive`, else `archive/` in the drop folder (or beside
    /// the export file).
    func archiveFolder() -> URL {
        var isFolder: ObjCBool = false
        let exportIsFolder = FileManager.default.fileExists(atPath: options.export.path, isDirectory: &isFolder) && isFolder.boolValue
        return options.archive ?? (exportIsFolder ? options.export : options.export.deletingLastPathComponent()).appendingPathComponent("archive")
    }

    /// Removes the archive's day folders (`YYYY-MM-DD`, as the import step names them) older than
    /// `keepArchiveDays`; other entries are never touched. Returns how many day folders went.
    func pruneArchive(now: Date) throws -> Int {
        guard let days = options.keepArchiveDays else { return 0 }
        let archive = archiveFolder()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: archive.path) else { return 0 }
        let cutoff = String(Timestamp.format(now.addingTimeInterval(-Double(days) * 86_400)).prefix(10))
        var removed = 0
        for name in names where name < cutoff && name.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}/) != nil {
            try FileManager.default.removeItem(at: archive.appendingPathComponent(name))
            removed += 1
        }
        return removed
    }

    static func modified(_ url: URL) -> Date {
        (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
    }
}
