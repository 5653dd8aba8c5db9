import Foundation
import HTTPTypes
import Hummingbird

/// Builds HighLevel-style JSON responses.
enum JSONResponse {
    static func make(_ value: JSONValue, status: Int = 200, headers extra: [(String, String)] = []) -> Response {
        let data = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
        return make(data: data, status: status, headers: extra)
    }

    static func make(data: Data, status: Int, headers extra: [(String, String)] = []) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        for (name, value) in extra {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ error: SandboxAPIError) -> Response {
        make(error.body(traceId: UUID().uuidString.lowercased()), status: error.status)
    }
}

extension Request {
    /// The body, up to 1 MiB; a bigger one is refused as HighLevel's gateway refuses it.
    mutating func bodyData() async throws(SandboxAPIError) -> Data {
        do {
            let buffer = try await collectBody(upTo: 1 << 20)
            return Data(buffer.readableBytesView)
        } catch {
            throw SandboxAPIError(status: 413, message: "request entity too large", error: "Payload Too Large")
        }
    }

    /// Query parameters, percent-decoded, last value wins.
    var queryDictionary: [String: String] {
        var result: [String: String] = [:]
        for (key, value) in uri.queryParameters { result[String(key)] = String(value) }
        return result
    }
}

extension RequestContext {
    /// A path parameter the route pattern guarantees.
    func pathParameter(_ name: String) -> String {
        parameters.get(name) ?? ""
    }
}
