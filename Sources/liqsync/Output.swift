import Foundation

/// Writes to standard output and error unbuffered, so a reader on a pipe sees each line at once.
/// A reader that goes away (`liqsync … | head`) ends the command quietly instead of crashing it.
enum Output {
    static func line(_ text: String) {
        do {
            try FileHandle.standardOutput.write(contentsOf: Data((text + "\n").utf8))
        } catch {
            exit(0)
        }
    }

    /// A question without a line end, for interactive answers.
    static func prompt(_ text: String) {
        do {
            try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
        } catch {
            exit(0)
        }
    }

    static func error(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
    }
}
