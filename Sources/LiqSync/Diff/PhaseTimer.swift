import Foundation

/// Per-phase timings of a plan on standard error when `LIQSYNC_PROFILE_PLAN=1`.
struct PhaseTimer {
    private let enabled = ProcessInfo.processInfo.environment["LIQSYNC_PROFILE_PLAN"] == "1"
    private var last = ContinuousClock.now

    mutating func mark(_ phase: String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        FileHandle.standardError.write(Data("plan: \(phase) \(now - last) (\(Self.residentMemory()))\n".utf8))
        last = now
    }

    /// The process's resident memory (and how much of it is mapped files) from `/proc/self/status`,
    /// and the bytes and read calls so far from `/proc/self/io` (a page SQLite reads is a call).
    private static func residentMemory() -> String {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "rss unknown" }
        let wanted = ["VmRSS:", "RssFile:"]
        return status.split(separator: "\n")
            .filter { line in wanted.contains { line.hasPrefix($0) } }
            .map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
            .joined(separator: ", ") + Self.reads()
    }

    private static func reads() -> String {
        guard let io = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return "" }
        return ", " + io.split(separator: "\n").filter { $0.hasPrefix("syscr") || $0.hasPrefix("rchar") }.joined(separator: " ")
    }
}
