import Foundation

/// Runs the built `liqsync` binary as a user would, reading its output as it comes.
final class CLIProcess: @unchecked Sendable {
    // `output` is appended on the reader's queue and read under `lock`.
    private let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()
    private let lock = NSLock()
    private var output = Data()
    private var errorOutput = Data()

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
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        stdout.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.output.append(data) }
        }
        stderr.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.errorOutput.append(data) }
        }
        try process.run()
    }

    var standardOutput: String { lock.withLock { String(decoding: output, as: UTF8.self) } }
    var standardError: String { lock.withLock { String(decoding: errorOutput, as: UTF8.self) } }
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
        stdout.fileHandleForReading.readabilityHandler = nil
        stderr.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }

    /// Runs to completion and returns exit code and output.
    static func run(
        _ arguments: [String], directory: URL? = nil, environment: [String: String] = [:], shell: Bool = false, timeout: Double = 300
    ) async throws -> (code: Int32?, stdout: String, stderr: String) {
        let process = try CLIProcess(arguments, directory: directory, environment: environment, shell: shell)
        let code = try await process.exitCode(timeout: timeout)
        try await Task.sleep(for: .milliseconds(50))
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
