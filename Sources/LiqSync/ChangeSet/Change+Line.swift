import Foundation

// A change as one line of a change set: written straight from the change, read back from parsed JSON.
extension Change {
    /// The change's line in a change set, without its newline: `{"change":{…},"type":"change"}`
    /// with the keys `Codable` gives a change (absent optionals left out), sorted and compact as
    /// `JSON.canonicalText` writes them. Written straight from the change, not through a tree of
    /// dictionaries sorted afterwards, which was most of the time a large plan took to write.
    func writeLine(to output: inout [UInt8]) {
        func name(_ key: StaticString, first: Bool = false) {
            if !first { output.append(UInt8(ascii: ",")) }
            output.append(UInt8(ascii: "\""))
            output.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            output.append(contentsOf: "\":".utf8)
        }
        func text(_ value: String) { JSON.writeString(value, to: &output) }
        output.append(contentsOf: #"{"change":{"#.utf8)
        name("after", first: true)
        JSON.object(after).write(to: &output)
        name("before")
        JSON.object(before).write(to: &output)
        if let conflict {
            name("conflict")
            output.append(UInt8(ascii: "{"))
            name("candidates", first: true)
            JSON.array(conflict.candidates.map(JSON.string)).write(to: &output)
            name("fields")
            JSON.array(conflict.fields.map(JSON.string)).write(to: &output)
            name("kind")
            text(conflict.kind.rawValue)
            output.append(UInt8(ascii: "}"))
        }
        if let decision {
            name("decision")
            output.append(UInt8(ascii: "{"))
            name("at", first: true)
            text(decision.at)
            name("by")
            text(decision.by)
            if let resolution = decision.resolution {
                name("resolution")
                JSON.object(resolution).write(to: &output)
            }
            name("verdict")
            text(decision.verdict.rawValue)
            output.append(UInt8(ascii: "}"))
        }
        name("entity")
        text(entity.rawValue)
        name("fields")
        output.append(UInt8(ascii: "["))
        for (index, diff) in fields.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            output.append(UInt8(ascii: "{"))
            // Keys in sorted order; `field` is always there, so only `base` comes before a comma-less start.
            if let base = diff.base {
                name("base", first: true)
                base.write(to: &output)
            }
            name("field", first: diff.base == nil)
            text(diff.field)
            if let value = diff.highlevel {
                name("highlevel")
                value.write(to: &output)
            }
            if let value = diff.localiq {
                name("localiq")
                value.write(to: &output)
            }
            if let value = diff.proposed {
                name("proposed")
                value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
        output.append(UInt8(ascii: "]"))
        name("id")
        JSON.number(Double(id)).write(to: &output)
        name("key")
        // The key's members in sorted order, absent ones left out (what `key.json` writes).
        output.append(UInt8(ascii: "{"))
        var firstMember = true
        func member(_ member: StaticString, _ value: String?) {
            guard let value else { return }
            name(member, first: firstMember)
            firstMember = false
            text(value)
        }
        member("email", key.email)
        member("highlevelId", key.highlevelId)
        member("localiqId", key.localiqId)
        member("phone", key.phone)
        output.append(UInt8(ascii: "}"))
        name("op")
        text(op.rawValue)
        name("reason")
        text(reason)
        name("target")
        text(target.rawValue)
        output.append(contentsOf: #"},"type":"change"}"#.utf8)
    }
}

extension Change {
    /// A change line's `change` object read back — what `Codable` would decode from it (absent
    /// and null optionals are nil; a missing key or a value of the wrong type is an error),
    /// taken from a parsed `JSON` instead of through `JSONDecoder`, which was most of the time
    /// `review` took to open a large change set.
    init(line value: JSON) throws {
        struct Malformed: Error {}
        func text(_ value: JSON?) throws -> String {
            guard let text = value?.string else { throw Malformed() }
            return text
        }
        func optionalText(_ value: JSON?) throws -> String? {
            guard let value, value != .null else { return nil }
            return try text(value)
        }
        func optional(_ value: JSON?) -> JSON? { value == .null ? nil : value }
        func texts(_ value: JSON?) throws -> [String] {
            guard let items = value?.array else { throw Malformed() }
            return try items.map { try text($0) }
        }
        func object(_ value: JSON?) throws -> [String: JSON] {
            guard let members = value?.object else { throw Malformed() }
            return members
        }
        func raw<T: RawRepresentable<String>>(_ value: JSON?) throws -> T {
            guard let parsed = T(rawValue: try text(value)) else { throw Malformed() }
            return parsed
        }
        guard let number = value["id"]?.number, let id = Int(exactly: number) else { throw Malformed() }
        let key = try object(value["key"])
        self.init(
            id: id, target: try raw(value["target"]), entity: try raw(value["entity"]), op: try raw(value["op"]),
            key: RecordKey(
                highlevelId: try optionalText(key["highlevelId"]), localiqId: try optionalText(key["localiqId"]), email: try optionalText(key["email"]),
                phone: try optionalText(key["phone"])),
            before: try object(value["before"]), after: try object(value["after"]),
            fields: try (value["fields"]?.array ?? { throw Malformed() }()).map { item in
                let diff = try object(item)
                return FieldDiff(
                    field: try text(diff["field"]), base: optional(diff["base"]), highlevel: optional(diff["highlevel"]), localiq: optional(diff["localiq"]),
                    proposed: optional(diff["proposed"]))
            },
            reason: try text(value["reason"]))
        if let conflict = optional(value["conflict"]) {
            self.conflict = Conflict(kind: try raw(conflict["kind"]), fields: try texts(conflict["fields"]), candidates: try texts(conflict["candidates"]))
        }
        if let decision = optional(value["decision"]) {
            self.decision = Decision(
                verdict: try raw(decision["verdict"]), resolution: try optional(decision["resolution"]).map { try object($0) }, by: try text(decision["by"]),
                at: try text(decision["at"]))
        }
    }
}

extension RecordKey {
    var json: JSON {
        var object: [String: JSON] = [:]
        if let highlevelId { object["highlevelId"] = .string(highlevelId) }
        if let localiqId { object["localiqId"] = .string(localiqId) }
        if let email { object["email"] = .string(email) }
        if let phone { object["phone"] = .string(phone) }
        return .object(object)
    }
}

