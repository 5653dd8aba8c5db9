import Foundation

/// Says which mapping profile fits a file, and why: each profile is scored by how many of its
/// signature columns and of its mapped columns the file's header (or first JSON record) has.
public enum ProfileDetector {
    /// One profile's fit.
    public struct Fit: Sendable, Equatable, Codable {
        public var profile: String
        public var score: Int
        public var signatureMatched: [String]
        public var signatureTotal: Int
        public var columnsMapped: Int
        public var columnsTotal: Int
        /// Why the profile cannot read the file at all (wrong format), if so.
        public var excludedBecause: String?

        /// A sentence for people.
        public var reason: String {
            if let excludedBecause { return excludedBecause }
            return "\(signatureMatched.count) of its \(signatureTotal) signature columns (\(signatureMatched.prefix(6).joined(separator: ", "))"
                + "\(signatureMatched.count > 6 ? ", …" : "")) and \(columnsMapped) of the file's \(columnsTotal) columns are mapped"
        }
    }

    /// The columns of a file: the CSV header, or the keys (dotted one level deep) of the first JSON records.
    public static func columns(of url: URL) throws -> (columns: [String], json: Bool) {
        if Importer.isJSON(url) {
            var reader = try JSONRecordReader(url: url)
            defer { reader.close() }
            var keys: [String] = []
            var seen = Set<String>()
            for _ in 0..<20 {
                guard let record = try reader.next(), let object = record.value.object else { break }
                for (key, value) in object.sorted(by: { $0.key < $1.key }) {
                    if seen.insert(key).inserted { keys.append(key) }
                    for nested in value.object?.keys.sorted() ?? [] where seen.insert("\(key).\(nested)").inserted { keys.append("\(key).\(nested)") }
                }
            }
            return (keys, true)
        }
        var reader = try CSVReader(url: url)
        defer { reader.close() }
        guard var header = try reader.next() else { return ([], false) }
        return (header.cells().map { $0.replacingOccurrences(of: "\u{FEFF}", with: "").trimmingCharacters(in: .whitespaces) }, false)
    }

    /// Every built-in profile's fit, best first.
    public static func rank(_ url: URL, profiles: [FieldMapping]) throws -> [Fit] {
        let (columns, json) = try columns(of: url)
        let present = Set(columns.map(RecordMapper.headerKey))
        return profiles.map { profile in
            let signature = profile.signature.filter { present.contains(RecordMapper.headerKey($0)) }
            var aliases = Set<String>()
            for rule in profile.fields + profile.activity {
                rule.columns.forEach { aliases.insert(RecordMapper.headerKey($0)) }
                for transform in rule.transforms {
                    if case .concat(let concat, _) = transform { concat.forEach { aliases.insert(RecordMapper.headerKey($0)) } }
                }
            }
            let mapped = present.filter { aliases.contains($0) }.count
            var fit = Fit(
                profile: profile.name, score: signature.count * 3 + mapped, signatureMatched: signature, signatureTotal: profile.signature.count,
                columnsMapped: mapped, columnsTotal: columns.count)
            if json && profile.format == .csv || !json && profile.format == .json {
                fit.excludedBecause = "it reads \(profile.format.rawValue) files only"
                fit.score = -1
            }
            return fit
        }.sorted { $0.score == $1.score ? $0.profile < $1.profile : $0.score > $1.score }
    }

    /// The best profile, or an error saying why none fits.
    public static func detect(_ url: URL, profiles: [FieldMapping]) throws -> (FieldMapping, Fit) {
        let fits = try rank(url, profiles: profiles)
        if fits.allSatisfy({ $0.columnsTotal == 0 }) { throw ImportError.noHeader(url.path) }
        guard let best = fits.first, best.score > 0, best.excludedBecause == nil, best.signatureMatched.count + best.columnsMapped >= 2,
            let profile = profiles.first(where: { $0.name == best.profile })
        else {
            throw ImportError.noProfileFits(url.path, "too few of its columns are known to any profile")
        }
        return (profile, best)
    }
}
