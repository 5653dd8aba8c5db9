import Foundation
import Sandbox
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The OAuth authorization-code flow and single-use refresh tokens.
@Suite("Sandbox OAuth")
struct SandboxOAuthTests {
    static func form(_ fields: [String: String]) -> Data {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let text = fields.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.value)" }
            .joined(separator: "&")
        return Data(text.utf8)
    }

    static func tokenRequest(_ api: SandboxHTTP, _ fields: [String: String]) async throws -> SandboxHTTP.Reply {
        try await api.send("POST", "/oauth/token", rawBody: form(fields), headers: ["Content-Type": "application/x-www-form-urlencoded"])
    }

    /// Follows the consent stand-in by hand and returns the code from the redirect.
    static func authorizationCode(_ sandbox: SandboxServices, redirect: String, state: String) async throws -> String {
        let info = sandbox.info
        var components = try #require(URLComponents(string: info.authorizeURL))
        components.queryItems = [
            URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "client_id", value: info.clientId),
            URLQueryItem(name: "redirect_uri", value: redirect), URLQueryItem(name: "scope", value: "contacts.readonly contacts.write"),
            URLQueryItem(name: "state", value: state),
        ]
        let url = try #require(components.url)
        let delegate = NoRedirects()
        let session = URLSession(configuration: .ephemeral, delegate: delegate, delegateQueue: nil)
        let (_, response) = try await session.data(from: url)
        let http = try #require(response as? HTTPURLResponse)
        #expect(http.statusCode == 302)
        let location = try #require(http.value(forHTTPHeaderField: "Location"))
        let items = URLComponents(string: location)?.queryItems ?? []
        #expect(location.hasPrefix(redirect))
        #expect(items.first { $0.name == "state" }?.value == state)
        return try #require(items.first { $0.name == "code" }?.value)
    }

    @Test("a code is exchanged once; the refresh token works once and only once")
    func codeAndRefresh() async throws {
        try await SandboxServer.withRunning(.testing()) { sandbox async throws in
            let info = sandbox.info
            var api = SandboxHTTP(info, token: nil)
            let redirect = "http://127.0.0.1:9/callback"
            let code = try await Self.authorizationCode(sandbox, redirect: redirect, state: "s-123")
            let base = ["client_id": info.clientId, "client_secret": info.clientSecret, "user_type": "Location"]

            let exchanged = try await Self.tokenRequest(
                api, base.merging(["grant_type": "authorization_code", "code": code, "redirect_uri": redirect]) { a, _ in a })
            #expect(exchanged.status == 200)
            #expect(exchanged.body["token_type"]?.string == "Bearer")
            #expect(exchanged.body["expires_in"]?.int == 86_399)
            #expect(exchanged.body["locationId"]?.string == info.locationId)
            let access = try #require(exchanged.body["access_token"]?.string)
            let refresh = try #require(exchanged.body["refresh_token"]?.string)
            let reused = try await Self.tokenRequest(
                api, base.merging(["grant_type": "authorization_code", "code": code, "redirect_uri": redirect]) { a, _ in a })
            #expect(reused.status == 401)

            api.token = access
            #expect(try await api.send("POST", "/contacts/search", json: ["locationId": info.locationId, "pageLimit": 1]).status == 200)

            let rotated = try await Self.tokenRequest(api, base.merging(["grant_type": "refresh_token", "refresh_token": refresh]) { a, _ in a })
            #expect(rotated.status == 200)
            let newRefresh = try #require(rotated.body["refresh_token"]?.string)
            #expect(newRefresh != refresh)
            let spent = try await Self.tokenRequest(api, base.merging(["grant_type": "refresh_token", "refresh_token": refresh]) { a, _ in a })
            #expect(spent.status == 401)
            #expect(try await Self.tokenRequest(api, base.merging(["grant_type": "refresh_token", "refresh_token": newRefresh]) { a, _ in a }).status == 200)
        }
    }

    @Test("an access token stops working when its lifetime ends")
    func expiry() async throws {
        let clock = ManualClock()
        var configuration = SandboxConfiguration.testing(clock: clock)
        configuration.accessTokenLifetime = 60
        try await SandboxServer.withRunning(configuration) { sandbox async throws in
            let info = sandbox.info
            let code = try await sandbox.tokens.issueCode(clientId: info.clientId, redirectURI: nil, scopes: [Principal.readScope])
            var api = SandboxHTTP(info, token: nil)
            let exchanged = try await Self.tokenRequest(api, [
                "client_id": info.clientId, "client_secret": info.clientSecret, "grant_type": "authorization_code", "code": code,
            ])
            api.token = try #require(exchanged.body["access_token"]?.string)
            let id = try #require(await sandbox.store.allContacts().first?.id)
            #expect(try await api.send("GET", "/contacts/\(id)").status == 200)
            clock.advance(61)
            let expired = try await api.send("GET", "/contacts/\(id)")
            #expect(expired.status == 401)
            #expect(expired.body["message"]?.string == "Invalid JWT")
        }
    }

    @Test("bad token requests get HighLevel's 422 and 401 bodies")
    func badRequests() async throws {
        try await SandboxServer.withRunning(.testing()) { sandbox async throws in
            let api = SandboxHTTP(sandbox.info, token: nil)
            let missing = try await Self.tokenRequest(api, ["client_id": sandbox.info.clientId])
            #expect(missing.status == 422)
            #expect(missing.body["message"]?.array?.compactMap(\.string).contains("grant_type should not be empty") == true)
            let wrongSecret = try await Self.tokenRequest(api, [
                "client_id": sandbox.info.clientId, "client_secret": "nope", "grant_type": "refresh_token", "refresh_token": "x",
            ])
            #expect(wrongSecret.status == 401)
        }
    }
}

/// Keeps the 302 from the consent stand-in visible to the test.
final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    // Stateless; the checker cannot see that NSObject subclasses without stored state are safe.
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
