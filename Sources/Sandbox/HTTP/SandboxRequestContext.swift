import Hummingbird

/// The per-request context: the principal the bearer token resolved to, once the auth
/// middleware has run.
public struct SandboxRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    var principal: Principal?

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
