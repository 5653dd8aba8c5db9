import Foundation

/// JSON as the tests read it, with booleans and numbers kept apart (JSONSerialization on Linux
/// blurs them). Deliberately separate from the sandbox's own JSON type.
enum TestJSON: Equatable, Decodable {
    case null, bool(Bool), number(Double), string(String), array([TestJSON]), object([String: TestJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([TestJSON].self) { self = .array(value) }
        else { self = .object(try container.decode([String: TestJSON].self)) }
    }

    /// Parses with JSONSerialization (fast even in debug builds), telling booleans from numbers
    /// by the number's stored type.
    static func parse(_ data: Data) throws -> TestJSON {
        convert(try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
    }

    private static func convert(_ value: Any) -> TestJSON {
        switch value {
        case let text as String: return .string(text)
        case let number as NSNumber:
            if String(cString: number.objCType) == "c" { return .bool(number.boolValue) }
            return .number(number.doubleValue)
        case let items as [Any]: return .array(items.map(convert))
        case let members as [String: Any]: return .object(members.mapValues(convert))
        default: return .null
        }
    }

    subscript(key: String) -> TestJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    subscript(index: Int) -> TestJSON? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var number: Double? { if case .number(let n) = self { n } else { nil } }
    var int: Int? { number.map { Int($0) } }
    var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    var array: [TestJSON]? { if case .array(let a) = self { a } else { nil } }
    var object: [String: TestJSON]? { if case .object(let o) = self { o } else { nil } }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
