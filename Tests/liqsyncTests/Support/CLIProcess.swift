import Foundation

/// Runs the built `liqsync` binary as a user would, reading its output as it comes.
final class CLIProcess: @unchecked Sendable {
    // Output goes to files rather than pipes: Foundation's `readabilityHandler` on Linux can crash
    // inside libdispatch when a handler is torn down while data arrives, and a full pipe would
    // block the child. Files cost nothing and can be read at any moment.
    private let process = Process()
    private let outputFolder: URL
    private let stdoutURL: URL
    private let stderrURL: URL

    /// The binary SwiftPM built beside the test bundle.
    static var binary: URL {
        let sibling = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("liqsync")
        if FileManager.default.isExecutableFile(atPath: sibling.path) { return sibling }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<4 { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent(".build/debug/liqsync")
    }

    /// Runs `liqsync ARGUMENTS`, or with `shell` the first argument as a program (`sh -c …`).
    init(_ arguments: [String], directory: URL? = nil, environment: [String: String] = [:], shell: Bool = false) throws {
        if shell {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = Array(arguments.dropFirst())
        } else {
            process.executableURL = Self.binary
            process.arguments = arguments
        }
        if let directory { process.currentDirectoryURL = directory }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        outputFolder = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
        stdoutURL = outputFolder.appendingPathComponent("stdout")
        stderrURL = outputFolder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)
        defer {
            try? stdoutHandle.close()
            try? stderrHandle.close()
        }
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        try? FileManager.default.removeItem(at: outputFolder)
    }

    var standardOutput: String { String(decoding: (try? Data(contentsOf: stdoutURL)) ?? Data(), as: UTF8.self) }
    var standardError: String { String(decoding: (try? Data(contentsOf: stderrURL)) ?? Data(), as: UTF8.self) }
    var processIdentifier: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Waits (polling, up to `timeout` seconds) until the output holds a full first line.
    func firstLine(timeout: Double = 60) async throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = standardOutput.split(separator: "\n", omittingEmptySubsequences: true).first,
                standardOutput.contains("\n")
            {
                return String(line)
            }
            if !process.isRunning { return nil }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to end (up to `timeout` seconds); nil when it is still running.
    func exitCode(timeout: Double = 60) async throws -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        guard !process.isRunning else {
            process.terminate()
            return nil
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs to completion and returns exit code and output.
    static func run(
        _ arguments: [String], directory: URL? = nil, environment: [String: String] = [:], shell: Bool = false, timeout: Double = 300
    ) async throws -> (code: Int32?, stdout: String, stderr: String) {
        let process = try CLIProcess(arguments, directory: directory, environment: environment, shell: shell)
        let code = try await process.exitCode(timeout: timeout)
        return (code, process.standardOutput, process.standardError)
    }
}

/// A fresh temporary folder per test, removed afterwards.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("liqsync-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
