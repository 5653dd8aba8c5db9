import Foundation
import Hummingbird

/// `POST /oauth/token` (form-encoded, as HighLevel's) and a stand-in for HighLevel's consent
/// page (`GET /oauth/chooselocation`) that approves at once and redirects with a code.
struct OAuthRoutes {
    let tokens: TokenRegistry

    func register(on router: Router<SandboxRequestContext>) {
        let tokens = self.tokens
        router.post("oauth/token") { request, _ in
            var request = request
            guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true else {
                throw SandboxAPIError.unprocessable(["Content-Type must be application/x-www-form-urlencoded"])
            }
            let form = Self.parseForm(try await request.bodyData())
            return JSONResponse.make(try await tokens.exchange(form: form))
        }
        router.get("oauth/chooselocation") { request, _ in
            let query = request.queryDictionary
            guard query["response_type"] == "code", let redirect = query["redirect_uri"],
                var components = URLComponents(string: redirect), components.scheme != nil
            else {
                throw SandboxAPIError.badRequest("response_type=code and an absolute redirect_uri are required")
            }
            let scopes = Set((query["scope"] ?? "").split(whereSeparator: { $0 == " " || $0 == "+" }).map(String.init))
            let code = try await tokens.issueCode(clientId: query["client_id"] ?? "", redirectURI: redirect, scopes: scopes)
            var items = components.queryItems ?? []
            items.append(URLQueryItem(name: "code", value: code))
            if let state = query["state"] { items.append(URLQueryItem(name: "state", value: state)) }
            components.queryItems = items
            return Response.redirect(to: components.string ?? redirect, type: .found)
        }
    }

    /// `application/x-www-form-urlencoded`: `+` is a space, `%XX` a byte.
    static func parseForm(_ data: Data) -> [String: String] {
        var result: [String: String] = [:]
        for pair in String(decoding: data, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            guard let key = parts.first else { continue }
            result[decode(key)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }
}
