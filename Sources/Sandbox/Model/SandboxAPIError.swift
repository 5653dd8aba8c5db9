import Foundation

/// An error answered the way HighLevel answers it: `{ statusCode, message[, error][, meta] }`.
/// Validation failures (422) carry `message` as an array of sentences, as HighLevel's do.
public struct SandboxAPIError: Error, Sendable, Equatable {
    public var status: Int
    public var messages: [String]
    public var messageIsList: Bool
    public var error: String?
    public var meta: JSONValue?

    public init(status: Int, message: String, error: String? = nil, meta: JSONValue? = nil) {
        self.status = status
        self.messages = [message]
        self.messageIsList = false
        self.error = error
        self.meta = meta
    }

    /// 422 with the validator's list of messages.
    public static func unprocessable(_ messages: [String]) -> SandboxAPIError {
        var error = SandboxAPIError(status: 422, message: "", error: "Unprocessable Entity")
        error.messages = messages
        error.messageIsList = true
        return error
    }

    static func badRequest(_ message: String) -> SandboxAPIError {
        SandboxAPIError(status: 400, message: message)
    }

    static func notFound(_ message: String) -> SandboxAPIError {
        SandboxAPIError(status: 404, message: message)
    }

    static let invalidToken = SandboxAPIError(status: 401, message: "Invalid JWT", error: "Unauthorized")
    static let scopeRefused = SandboxAPIError(
        status: 401, message: "The token is not authorized for this scope.", error: "Unauthorized")
    static let locationRefused = SandboxAPIError(
        status: 403, message: "The token does not have access to this location.", error: "Forbidden")
    static let contactNotFound = SandboxAPIError.notFound("Contact not found")
    static let tooManyRequests = SandboxAPIError(status: 429, message: "Too many requests", error: "Too Many Requests")

    /// The body HighLevel sends with this error.
    func body(traceId: String) -> JSONValue {
        var object: [String: JSONValue] = [
            "statusCode": .number(Double(status)),
            "message": messageIsList ? .array(messages.map(JSONValue.string)) : .string(messages.first ?? ""),
            "traceId": .string(traceId),
        ]
        if let error { object["error"] = .string(error) }
        if let meta { object["meta"] = meta }
        return .object(object)
    }
}
