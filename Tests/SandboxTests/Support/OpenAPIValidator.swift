import Foundation

/// Validates JSON values against schemas in HighLevel's official OpenAPI files, following
/// `$ref`s across files. It covers the keywords those files use: type, nullable, properties,
/// required, items, enum, anyOf/oneOf/allOf.
///
/// One rule goes beyond JSON Schema: where a schema's declared type and its own `example`
/// disagree (the search cursor is declared `array<string>` but its example is `[1234, "id"]`),
/// a value shaped like the example is accepted too, and the exemption is reported.
final class OpenAPIValidator {
    let root: URL
    private var documents: [String: Any] = [:]
    private(set) var exemptions: [String] = []

    /// `root` is the `ghl-api` folder.
    init(root: URL) {
        self.root = root
    }

    /// The `ghl-api` folder beside the checkout (`../shared/ghl-api`), found from this file's path.
    static func locateSpecs(file: String = #filePath) -> URL? {
        var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent("shared/ghl-api")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("apps/contacts.json").path) {
                return candidate
            }
            directory.deleteLastPathComponent()
        }
        return nil
    }

    func document(_ relativePath: String) throws -> [String: Any] {
        if let cached = documents[relativePath] as? [String: Any] { return cached }
        let data = try Data(contentsOf: root.appendingPathComponent(relativePath))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationFailure("\(relativePath) is not a JSON object")
        }
        documents[relativePath] = object
        return object
    }

    /// The response schema of an operation for a status, as a `$ref` context.
    func responseSchema(file: String, path: String, method: String, status: Int) throws -> (schema: [String: Any], file: String) {
        let spec = try document(file)
        guard let paths = spec["paths"] as? [String: Any], let item = paths[path] as? [String: Any],
            let operation = item[method.lowercased()] as? [String: Any],
            let responses = operation["responses"] as? [String: Any],
            let response = responses[String(status)] as? [String: Any]
        else { throw ValidationFailure("\(method) \(path) documents no \(status) response in \(file)") }
        guard let content = response["content"] as? [String: Any], let json = content["application/json"] as? [String: Any],
            let schema = json["schema"] as? [String: Any]
        else { throw ValidationFailure("\(method) \(path) \(status) has no JSON schema in \(file)") }
        return (schema, file)
    }

    /// Problems found validating `value`; empty when it conforms.
    func validate(_ value: TestJSON, schema: [String: Any], file: String, path: String = "$") throws -> [String] {
        var problems: [String] = []
        try check(value, schema, file: file, at: path, problems: &problems)
        return problems
    }

    private func resolve(_ reference: String, from file: String) throws -> (schema: [String: Any], file: String) {
        let parts = reference.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        var target = file
        if let filePart = parts.first, !filePart.isEmpty {
            let base = URL(fileURLWithPath: "/" + file).deletingLastPathComponent()
            target = String(base.appendingPathComponent(String(filePart)).standardized.path.dropFirst())
        }
        var node: Any = try document(target)
        let pointer = parts.count > 1 ? parts[1] : ""
        for component in pointer.split(separator: "/") {
            guard let object = node as? [String: Any], let next = object[String(component)] else {
                throw ValidationFailure("unresolvable $ref \(reference) in \(file)")
            }
            node = next
        }
        guard let schema = node as? [String: Any] else { throw ValidationFailure("$ref \(reference) is not a schema") }
        return (schema, target)
    }

    private func check(_ value: TestJSON, _ schema: [String: Any], file: String, at path: String, problems: inout [String]) throws {
        if let reference = schema["$ref"] as? String {
            let (resolved, target) = try resolve(reference, from: file)
            try check(value, resolved, file: target, at: path, problems: &problems)
            return
        }
        if value == .null {
            if schema["nullable"] as? Bool == true || schema["type"] == nil { return }
            problems.append("\(path): null where \(schema["type"] ?? "a value") is required")
            return
        }
        for keyword in ["anyOf", "oneOf"] {
            if let options = schema[keyword] as? [[String: Any]] {
                var matched = false
                for option in options {
                    var inner: [String] = []
                    try check(value, option, file: file, at: path, problems: &inner)
                    if inner.isEmpty { matched = true; break }
                }
                if !matched { problems.append("\(path): matches none of \(keyword)") }
            }
        }
        if let all = schema["allOf"] as? [[String: Any]] {
            for option in all { try check(value, option, file: file, at: path, problems: &problems) }
        }
        if let allowed = schema["enum"] as? [String], let text = value.string, !allowed.contains(text) {
            problems.append("\(path): \(text) is not one of \(allowed)")
        }
        guard let type = schema["type"] as? String else { return }
        if !Self.hasType(value, type) {
            if let example = schema["example"], Self.sameShape(value, example) {
                exemptions.append("\(path): declared \(type), shaped like the spec's example")
                return
            }
            problems.append("\(path): expected \(type), got \(value.typeName)")
            return
        }
        if type == "object", let object = value.object {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for name in schema["required"] as? [String] ?? [] where object[name] == nil {
                problems.append("\(path): required member \(name) is missing")
            }
            for (name, member) in object {
                if let propertySchema = properties[name] as? [String: Any] {
                    try check(member, propertySchema, file: file, at: "\(path).\(name)", problems: &problems)
                }
            }
        }
        if type == "array", let items = value.array, let itemSchema = schema["items"] as? [String: Any] {
            if let example = schema["example"], !items.allSatisfy({ Self.hasTypeOrNull($0, itemSchema) }),
                Self.sameShape(value, example)
            {
                exemptions.append("\(path): items declared \(itemSchema["type"] ?? "?"), shaped like the spec's example")
                return
            }
            for (index, item) in items.enumerated() {
                try check(item, itemSchema, file: file, at: "\(path)[\(index)]", problems: &problems)
            }
        }
    }

    private static func hasTypeOrNull(_ value: TestJSON, _ schema: [String: Any]) -> Bool {
        guard let type = schema["type"] as? String else { return true }
        return hasType(value, type)
    }

    static func hasType(_ value: TestJSON, _ type: String) -> Bool {
        switch (type, value) {
        case ("string", .string), ("boolean", .bool), ("number", .number), ("array", .array), ("object", .object): true
        case ("integer", .number(let n)): n.rounded() == n
        case ("string", _), ("boolean", _), ("number", _), ("array", _), ("object", _), ("integer", _): false
        default: true
        }
    }

    /// True when value and example are arrays whose elements have the same JSON types, position by position.
    private static func sameShape(_ value: TestJSON, _ example: Any) -> Bool {
        guard let values = value.array, let examples = example as? [Any], values.count == examples.count else {
            return false
        }
        return zip(values, examples).allSatisfy { a, b in
            switch a {
            case .string: b is String
            case .number: b is NSNumber && !(b is String)
            default: false
            }
        }
    }
}

struct ValidationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
