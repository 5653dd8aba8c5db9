import Foundation

/// A request body checked the way HighLevel's validator checks it: unknown properties are
/// refused ("property x should not exist"), types are checked, required members must be there.
/// All problems are collected so one 422 lists them all.
struct RequestBody {
    enum Kind {
        case string, nullableString, boolean, stringArray, array, object, any
    }

    let members: [String: JSONValue]
    private(set) var problems: [String] = []

    /// Parses `data` as a JSON object; a body that is not one is a 400, as HighLevel answers it.
    init(data: Data, allowed: [String: Kind], required: Set<String> = []) throws(SandboxAPIError) {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data.isEmpty ? Data("{}".utf8) : data)
        } catch {
            throw .badRequest("Unexpected token in JSON body")
        }
        guard case .object(let members) = value else {
            throw .badRequest("The request body must be a JSON object")
        }
        self.members = members
        for key in members.keys.sorted() where allowed[key] == nil {
            problems.append("property \(key) should not exist")
        }
        for (key, kind) in allowed.sorted(by: { $0.key < $1.key }) {
            guard let member = members[key] else {
                if required.contains(key) { problems.append("\(key) should not be empty") }
                continue
            }
            if !Self.matches(member, kind) {
                problems.append("\(key) must be \(Self.describe(kind))")
            }
        }
    }

    /// Throws the collected problems as one 422.
    func validate() throws(SandboxAPIError) {
        if !problems.isEmpty { throw .unprocessable(problems) }
    }

    func string(_ key: String) -> String? { members[key]?.stringValue }
    func bool(_ key: String) -> Bool? { members[key]?.boolValue }
    func has(_ key: String) -> Bool { members[key] != nil }
    func isNull(_ key: String) -> Bool { members[key] == .null }
    func strings(_ key: String) -> [String]? { members[key]?.arrayValue?.compactMap(\.stringValue) }

    private static func matches(_ value: JSONValue, _ kind: Kind) -> Bool {
        switch (kind, value) {
        case (.any, _): true
        case (.string, .string), (.nullableString, .string), (.nullableString, .null): true
        case (.boolean, .bool): true
        case (.stringArray, .array(let items)): items.allSatisfy { $0.stringValue != nil }
        case (.array, .array), (.object, .object): true
        default: false
        }
    }

    private static func describe(_ kind: Kind) -> String {
        switch kind {
        case .string, .nullableString: "a string"
        case .boolean: "a boolean value"
        case .stringArray: "an array of strings"
        case .array: "an array"
        case .object: "an object"
        case .any: "a value"
        }
    }
}
