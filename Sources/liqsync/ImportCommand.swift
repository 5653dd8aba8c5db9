import ArgumentParser
import Foundation
import LiqSync

/// `liqsync import`: LocaliQ (or HighLevel) exports into staging.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load LocaliQ exports (CSV or JSON) into staging, normalised and validated.",
        discussion: """
            Each file goes through a mapping profile: the built-in localiq-contacts, \
            localiq-interactions, localiq-etl or ghl-export, or your own mapping file (docs/mapping.md). \
            Without --profile or --mapping the best-fitting built-in profile is chosen and named.

            Every import prints rows read, staged and rejected (read = staged + rejected) and warnings \
            by kind. Rejected rows and warnings go to NAME.errors.csv beside the input. Importing the \
            same file through the same mapping again does nothing unless --force.

            Exit codes: 0 every row staged, 3 some rows rejected, 1 the file could not be imported.

            Examples:
              liqsync import exports/localiq-contacts.csv
              liqsync import leads.json --profile localiq-interactions
              liqsync import --detect mystery.csv
            """
    )

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: "The export files to import.")
    var files: [String] = []

    @Option(help: "A built-in profile: \(BuiltInProfiles.names.joined(separator: ", ")).")
    var profile: String?

    @Option(help: "Your own mapping file (YAML).")
    var mapping: String?

    @Flag(help: "Only say which profile fits each file, and why.")
    var detect = false

    @Option(help: "Print a built-in profile's YAML (a starting point for a mapping file) and stop.")
    var showProfile: String?

    @Flag(help: "Import again even if the same file was imported through the same mapping.")
    var force = false

    @Flag(help: "Treat warnings as rejections.")
    var strict = false

    @Flag(help: "Print the summaries as JSON.")
    var json = false

    func validate() throws {
        if profile != nil, mapping != nil { throw ValidationError("Give --profile or --mapping, not both.") }
        if files.isEmpty, showProfile == nil { throw ValidationError("Name at least one file to import.") }
    }

    func run() throws {
        if let showProfile {
            guard let text = BuiltInProfiles.yaml[showProfile] else {
                throw ImportError.unknownProfile(showProfile, BuiltInProfiles.names)
            }
            Output.line(text)
            return
        }
        let profiles = try BuiltInProfiles.all()
        let urls = files.map { URL(fileURLWithPath: $0) }
        if detect {
            try runDetect(urls, profiles: profiles)
            return
        }
        let workspace = options.resolvedWorkspace
        let settings = try options.settings()
        let zone = TimeZone(identifier: settings.timezone) ?? .gmt
        let chosen: FieldMapping? = try mapping.map { try FieldMapping.load(URL(fileURLWithPath: $0)) } ?? profile.map(BuiltInProfiles.profile(named:))
        let importer = Importer(database: try workspace.openMirror())
        var summaries: [ImportSummary] = []
        for url in urls {
            let fileMapping: FieldMapping
            if let chosen {
                fileMapping = chosen
            } else {
                let (detected, fit) = try ProfileDetector.detect(url, profiles: profiles)
                if !json { Output.line("\(url.lastPathComponent): profile \(detected.name) (\(fit.reason)).") }
                fileMapping = detected
            }
            let progress = ProgressLine()
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
            let importOptions = ImportOptions(force: force, strict: strict, zone: zone)
            let summary = try importer.run(url, mapping: fileMapping, options: importOptions) { bytes in
                progress.update("reading \(url.lastPathComponent)", done: Int(bytes), total: size)
            }
            progress.finish()
            summaries.append(summary)
            if !json { ImportReport.print(summary) }
        }
        if json { Output.line(JSONOutput.render(summaries)) }
        if summaries.contains(where: { $0.rowsRejected > 0 && $0.alreadyImportedAs == nil }) { throw ExitCode(ExitCodes.partial) }
    }

    private func runDetect(_ urls: [URL], profiles: [FieldMapping]) throws {
        var results: [String: [ProfileDetector.Fit]] = [:]
        for url in urls {
            let fits = try ProfileDetector.rank(url, profiles: profiles)
            results[url.path] = fits
            guard !json else { continue }
            if let best = fits.first, best.score > 0, best.excludedBecause == nil {
                Output.line("\(url.lastPathComponent): \(best.profile) fits best — \(best.reason).")
            } else {
                Output.line("\(url.lastPathComponent): no built-in profile fits; write a mapping file (docs/mapping.md).")
            }
            for fit in fits.dropFirst() { Output.line("  \(fit.profile): \(fit.reason).") }
        }
        if json { Output.line(JSONOutput.render(results)) }
    }
}

/// The accounting lines of an import.
enum ImportReport {
    static func print(_ summary: ImportSummary) {
        let name = URL(fileURLWithPath: summary.file).lastPathComponent
        if let previous = summary.alreadyImportedAs {
            Output.line("\(name): already imported (import #\(previous), \(summary.rowsRead) rows); nothing to do. Use --force to import it again.")
            return
        }
        Output.line(
            "\(name): \(summary.rowsRead) rows read = \(summary.rowsStaged) staged + \(summary.rowsRejected) rejected (import #\(summary.importId), profile \(summary.profile)).")
        var notes: [String] = []
        if summary.duplicatesCollapsed > 0 { notes.append("\(summary.duplicatesCollapsed) duplicates collapsed into the row they repeat") }
        if summary.rowsExcluded > 0 { notes.append("\(summary.rowsExcluded) staged but excluded from sync (placeholders or rows without a contact key)") }
        if !notes.isEmpty { Output.line("  " + notes.joined(separator: "; ") + ".") }
        for old in summary.replaced ?? [] {
            let gone = old.records - old.held
            Output.line(
                "  replaces import #\(old.importId) (\(URL(fileURLWithPath: old.file).lastPathComponent)), an earlier copy of this export: \(old.held) of its \(old.records) LocaliQ records are here"
                    + (gone == 1 ? "; the other one is gone from the export." : gone > 1 ? "; the other \(gone) are gone from the export." : "."))
        }
        if !summary.rejections.isEmpty {
            Output.line("  rejected: " + summary.rejections.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if !summary.warnings.isEmpty {
            Output.line("  warnings: " + summary.warnings.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if let line = summary.firstWindows1252Line {
            Output.line("  the file is not all UTF-8 (first at line \(line)); those cells were read as Windows-1252.")
        }
        if !summary.duplicateHeaders.isEmpty {
            Output.line("  repeated column names: \(summary.duplicateHeaders.joined(separator: ", ")) (the first of each is used; the others are kept as NAME#2…).")
        }
        if !summary.unmappedColumns.isEmpty {
            Output.line("  columns no rule reads, kept as extra attributes: \(summary.unmappedColumns.joined(separator: ", ")).")
        }
        if let errors = summary.errorsFile { Output.line("  details: \(errors)") }
    }
}
