import Foundation
import Sandbox

/// What `liqsync sandbox` prints once it listens.
enum SandboxBanner {
    static func text(_ info: SandboxInfo) -> String {
        """
        HighLevel sandbox — a local test server, not the real HighLevel service.
          base URL       \(info.baseURL)
          location id    \(info.locationId)
          token          \(info.token)   (contacts.readonly contacts.write)
          read-only      \(info.readOnlyToken)   (contacts.readonly)
          OAuth client   \(info.clientId) / \(info.clientSecret)
          authorize URL  \(info.authorizeURL)
          admin key      \(info.adminKey)   (X-Sandbox-Admin header, /_sandbox/…)
          contacts       \(info.contacts)
        Serving until Ctrl-C.
        """
    }

    static func json(_ info: SandboxInfo) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(info)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
