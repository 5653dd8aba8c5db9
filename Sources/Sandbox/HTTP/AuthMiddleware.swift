import Foundation
import HTTPTypes
import Hummingbird

/// HighLevel's checks on every API call, in the order the service applies them: a valid bearer
/// token (401), the rate limit of its budget (429), the `Version` header (400), then the scope the
/// operation needs (401). Every answer after the token check carries the five `X-RateLimit-*` headers.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext

    static let apiVersion = "2021-07-28"

    let tokens: TokenRegistry
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let principal = await tokens.principal(for: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        else {
            return JSONResponse.error(.invalidToken)
        }
        let decision = await limiter.admit(principal.budgetKey)
        var response: Response
        if !decision.allowed {
            response = JSONResponse.error(.tooManyRequests)
        } else if let refusal = Self.versionProblem(request.headers[.init("Version")!]) {
            response = JSONResponse.error(refusal)
        } else if !principal.scopes.contains(Self.requiredScope(request)) {
            response = JSONResponse.error(.scopeRefused)
        } else {
            var context = context
            context.principal = principal
            do {
                response = try await next(request, context)
            } catch let error as SandboxAPIError {
                response = JSONResponse.error(error)
            }
        }
        for (name, value) in decision.headers {
            if let field = HTTPField.Name(name) { response.headers[field] = value }
        }
        return response
    }

    private static func versionProblem(_ value: String?) -> SandboxAPIError? {
        guard let value, !value.isEmpty else { return .badRequest("Version header was not found") }
        guard value == apiVersion else {
            return .badRequest("Version header value \(value) is not supported here; send Version: \(apiVersion)")
        }
        return nil
    }

    /// The spec's per-operation security: `contacts.readonly` for reads and the two searches,
    /// `contacts.write` for everything that changes data.
    static func requiredScope(_ request: Request) -> String {
        if request.method == .get { return Principal.readScope }
        if request.method == .post, request.uri.path.split(separator: "/") == ["contacts", "search"] {
            return Principal.readScope
        }
        return Principal.writeScope
    }
}
