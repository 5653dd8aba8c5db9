import Foundation

/// One API call as the audit log records it: no token, no query values, no body — nothing that
/// could hold a secret or a person's data.
public struct AuditEntry: Sendable, Codable, Equatable {
    public var time: Date
    public var method: String
    public var path: String
    public var status: Int?
    public var milliseconds: Int
    public var rateLimitRemaining: Int?
    public var dailyRemaining: Int?
    /// 0 for the first try of a call, then 1, 2, … for its retries.
    public var retry: Int
    public var error: String?
}

/// Appends JSON Lines to `logs/api-YYYY-MM-DD.jsonl`. Append-only; one line per call.
public actor AuditLog {
    public let directory: URL
    private var handle: FileHandle?
    private var openDay = ""
    private let encoder: JSONEncoder

    public init(directory: URL) {
        self.directory = directory
        encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    public func record(_ entry: AuditEntry) {
        let day = String(Timestamp.format(entry.time).prefix(10))
        do {
            if day != openDay || handle == nil {
                try handle?.close()
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let file = directory.appendingPathComponent("api-\(day).jsonl")
                if !FileManager.default.fileExists(atPath: file.path) {
                    _ = FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600])
                }
                handle = try FileHandle(forWritingTo: file)
                try handle?.seekToEnd()
                openDay = day
            }
            var line = try encoder.encode(entry)
            line.append(0x0A)
            try handle?.write(contentsOf: line)
        } catch {
            handle = nil
        }
    }

    public func close() {
        try? handle?.close()
        handle = nil
    }
}
