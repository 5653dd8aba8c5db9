import Foundation

/// Per-phase timings of a plan on standard error when `LIQSYNC_PROFILE_PLAN=1`.
struct PhaseTimer {
    private let enabled = ProcessInfo.processInfo.environment["LIQSYNC_PROFILE_PLAN"] == "1"
    private var last = ContinuousClock.now
    private var lastCPU = Self.processCPUSeconds()

    mutating func mark(_ phase: String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let cpu = Self.processCPUSeconds()
        let line = "plan: \(phase) \(now - last), cpu \(String(format: "%.3f", cpu - lastCPU)) s (\(Self.residentMemory()))\n"
        FileHandle.standardError.write(Data(line.utf8))
        (last, lastCPU) = (now, cpu)
    }

    /// CPU time of all the process's threads: against the wall time, how many cores a phase kept busy.
    private static func processCPUSeconds() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
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
