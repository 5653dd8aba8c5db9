import Foundation

/// A HighLevel API call that did not succeed. The description is one sentence naming the
/// endpoint, the status and HighLevel's message, and what to do; it never holds a token.
public struct APIError: Error, LocalizedError, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The token was refused (401), even after one refresh.
        case unauthorized
        /// The token lacks the scope the call needs.
        case missingScope
        /// 403: the token does not cover the location.
        case forbidden
        case notFound
        /// 400 or 422: HighLevel refused the request as sent.
        case invalidRequest
        /// 429 after every retry.
        case rateLimited
        /// The day's request budget is spent.
        case dailyLimitReached
        /// 5xx after every retry.
        case server
        /// The connection failed or was cut, after every retry.
        case network
        /// The answer was not the JSON expected.
        case malformedResponse
        /// The configuration does not allow the call (for example plain HTTP to a remote host).
        case configuration
    }

    public var kind: Kind
    public var status: Int?
    public var method: String
    public var endpoint: String
    public var message: String

    public init(kind: Kind, status: Int? = nil, method: String, endpoint: String, message: String) {
        self.kind = kind
        self.status = status
        self.method = method
        self.endpoint = endpoint
        self.message = message
    }

    public var errorDescription: String? {
        let call = "\(method) \(endpoint)"
        let said = message.isEmpty ? "" : " (HighLevel said: \(message))"
        switch kind {
        case .unauthorized:
            return "HighLevel refused the credential on \(call)\(said); run 'liqsync auth token' or 'liqsync auth login' again."
        case .missingScope:
            return "The credential lacks the scope \(call) needs\(said); grant contacts.readonly and contacts.write and store it again."
        case .forbidden:
            return "The credential has no access to this location on \(call)\(said); check location_id in the workspace config."
        case .notFound:
            return "HighLevel has no such record for \(call)\(said)."
        case .invalidRequest:
            return "HighLevel refused \(call) with status \(status ?? 0)\(said)."
        case .rateLimited:
            return "HighLevel kept answering 429 on \(call) after every retry; wait a minute and run the command again."
        case .dailyLimitReached:
            return "The day's HighLevel request budget is spent (\(call))\(message.isEmpty ? "" : "; \(message)"); run the command again after it resets — it continues where it stopped."
        case .server:
            return "HighLevel answered \(status ?? 500) on \(call) after every retry\(said); try again later — the run continues where it stopped."
        case .network:
            return "Could not reach HighLevel for \(call)\(message.isEmpty ? "" : ": \(message)"); check the network and base URL, then run again."
        case .malformedResponse:
            return "HighLevel's answer to \(call) was not the JSON expected\(message.isEmpty ? "" : " (\(message))"); run again, and report it if it persists."
        case .configuration:
            return message
        }
    }
}
