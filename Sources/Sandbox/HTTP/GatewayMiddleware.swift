import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The outermost layer: logs every request with its final status, injects faults into API and
/// OAuth answers, and turns the router's "no route" into HighLevel's 404 body.
struct GatewayMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext

    let log: RequestLog
    let faults: FaultInjector

    struct CutConnection: Error {}

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let isAdmin = path.hasPrefix(AdminRoutes.prefix)
        let fault = isAdmin ? nil : await faults.next()
        var response: Response
        switch fault {
        case .tooManyRequests?:
            response = JSONResponse.error(.tooManyRequests)
            response.headers[.init("X-RateLimit-Remaining")!] = "0"
        case .serverError(let code)?:
            response = JSONResponse.error(
                SandboxAPIError(status: code, message: code == 503 ? "Service Unavailable" : "Internal server error"))
        default:
            if case .slow(let ms)? = fault { try await Task.sleep(for: .milliseconds(ms)) }
            response = await route(request, context: context, next: next)
            if case .cutBody? = fault { response = await Self.cut(response) }
            if case .malformedJSON? = fault { response = await Self.malformed(response) }
        }
        await log.append(
            method: request.method.rawValue, path: path, query: request.uri.query, status: response.status.code,
            fault: fault?.name)
        return response
    }

    private func route(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async -> Response {
        do {
            return try await next(request, context)
        } catch let error as SandboxAPIError {
            return JSONResponse.error(error)
        } catch let error as HTTPError where error.status == .notFound {
            return JSONResponse.error(
                SandboxAPIError(status: 404, message: "Cannot \(request.method.rawValue) \(request.uri.path)", error: "Not Found"))
        } catch let error as HTTPError {
            return JSONResponse.error(SandboxAPIError(status: Int(error.status.code), message: error.body ?? error.status.reasonPhrase))
        } catch {
            return JSONResponse.error(SandboxAPIError(status: 500, message: "Internal server error"))
        }
    }

    private static func collected(_ response: Response) async -> ByteBuffer {
        let writer = CollectingWriter(buffer: ByteBuffer())
        try? await response.body.write(writer)
        return writer.storage.buffer
    }

    /// Promises the whole body in Content-Length, sends half, then drops the connection.
    private static func cut(_ response: Response) async -> Response {
        let buffer = await collected(response)
        let half = buffer.getSlice(at: buffer.readerIndex, length: buffer.readableBytes / 2) ?? ByteBuffer()
        var cut = response
        cut.body = ResponseBody(contentLength: buffer.readableBytes) { writer in
            try await writer.write(half)
            throw CutConnection()
        }
        return cut
    }

    /// The same status and headers, with a body that stops mid-JSON.
    private static func malformed(_ response: Response) async -> Response {
        let buffer = await collected(response)
        var bytes = Array(buffer.readableBytesView.prefix(max(1, buffer.readableBytes / 2)))
        bytes.append(contentsOf: Array("<!-- upstream error".utf8))
        var broken = response
        broken.body = ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        return broken
    }
}

/// Collects a response body into memory so a fault can rewrite it.
private struct CollectingWriter: ResponseBodyWriter {
    final class Storage: @unchecked Sendable {
        // Only touched sequentially by the one body write that owns this writer.
        var buffer: ByteBuffer
        init(buffer: ByteBuffer) { self.buffer = buffer }
    }

    let storage: Storage

    init(buffer: ByteBuffer) {
        storage = Storage(buffer: buffer)
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        var copy = buffer
        storage.buffer.writeBuffer(&copy)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
