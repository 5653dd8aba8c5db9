import Foundation

/// Why an import could not run at all. Row-level problems are findings, not errors: they reject
/// or flag one row and the import goes on.
public enum ImportError: Error, LocalizedError, Equatable {
    case unreadable(String, String)
    case unsupportedEncoding(String, String)
    case unclosedQuote(String, Int)
    case malformedJSON(String, String)
    case noHeader(String)
    case unknownProfile(String, [String])
    case unusableMapping(String, String)
    case noProfileFits(String, String)
    case missingRequiredColumns(String, [String])
    case accountingMismatch(read: Int, staged: Int, rejected: Int)

    /// Whether the file itself is at fault (its bytes or columns), not the mapping given for every
    /// file, the disk, or liqsync: such a file can be set aside while other files are imported.
    public var isTheFilesFault: Bool {
        switch self {
        case .unsupportedEncoding, .unclosedQuote, .malformedJSON, .noHeader, .noProfileFits, .missingRequiredColumns: true
        case .unreadable, .unknownProfile, .unusableMapping, .accountingMismatch: false
        }
    }

    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason):
            "\(path) cannot be read (\(reason)); check the path and its permissions."
        case .unsupportedEncoding(let path, let encoding):
            "\(path) is \(encoding) text; save it as UTF-8 (\"CSV UTF-8\" in Excel) and import it again."
        case .unclosedQuote(let path, let line):
            "\(path): the quote opened on line \(line) is never closed, so the rest of the file would be one cell; fix that line and import again. Nothing was staged."
        case .malformedJSON(let path, let detail):
            "\(path) is not valid JSON (\(detail)); nothing was staged from it."
        case .noHeader(let path):
            "\(path) has no header row; the first line must name the columns."
        case .unknownProfile(let name, let known):
            "There is no mapping profile called '\(name)'; the built-in ones are \(known.joined(separator: ", ")), or pass --mapping FILE."
        case .unusableMapping(let path, let reason):
            "The mapping file \(path) cannot be used: \(reason)."
        case .noProfileFits(let path, let reason):
            "No built-in profile fits \(path) (\(reason)); pass --profile NAME or --mapping FILE."
        case .missingRequiredColumns(let path, let columns):
            "\(path) lacks the column(s) the mapping requires: \(columns.joined(separator: ", ")); nothing was staged."
        case .accountingMismatch(let read, let staged, let rejected):
            "The import's counts do not add up (read \(read), staged \(staged), rejected \(rejected)); nothing was kept. Please report this."
        }
    }
}
