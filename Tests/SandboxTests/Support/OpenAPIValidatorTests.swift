import Foundation
import Testing

/// The validator the conformance tests rely on must itself catch wrong shapes, or they prove nothing.
@Suite("OpenAPI validator")
struct OpenAPIValidatorTests {
    @Test("wrong member types, missing required members and bad items are reported")
    func reportsProblems() throws {
        let root = try #require(OpenAPIValidator.locateSpecs())
        let validator = OpenAPIValidator(root: root)
        let (contact, file) = try validator.responseSchema(
            file: "apps/contacts.json", path: "/contacts/{contactId}", method: "GET", status: 200)
        let wrong = try TestJSON.parse(Data(#"{"contact":{"id":7,"dnd":"no","tags":[1],"attributionSource":{}}}"#.utf8))
        let problems = try validator.validate(wrong, schema: contact, file: file)
        #expect(problems.contains { $0.hasPrefix("$.contact.id") })
        #expect(problems.contains { $0.hasPrefix("$.contact.dnd") })
        #expect(problems.contains { $0.hasPrefix("$.contact.tags[0]") })
        #expect(problems.contains { $0.contains("required member url") })

        let (unprocessable, common) = try validator.responseSchema(
            file: "apps/contacts.json", path: "/contacts/{contactId}", method: "PUT", status: 422)
        let stringMessage = try TestJSON.parse(Data(#"{"statusCode":422,"message":"one string"}"#.utf8))
        #expect(try !validator.validate(stringMessage, schema: unprocessable, file: common).isEmpty)
    }

    @Test("the search cursor is accepted only in the shape of the spec's own example")
    func searchCursorExemption() throws {
        let root = try #require(OpenAPIValidator.locateSpecs())
        let validator = OpenAPIValidator(root: root)
        let (schema, file) = try validator.responseSchema(
            file: "history/de87e88/apps/contacts.json", path: "/contacts/search", method: "POST", status: 200)
        let good = try TestJSON.parse(Data(#"{"contacts":[{"id":"a","searchAfter":[1234,"a"]}],"total":1}"#.utf8))
        #expect(try validator.validate(good, schema: schema, file: file).isEmpty)
        #expect(validator.exemptions.count == 1)
        let bad = try TestJSON.parse(Data(#"{"contacts":[{"id":"a","searchAfter":[true]}],"total":1}"#.utf8))
        #expect(try !validator.validate(bad, schema: schema, file: file).isEmpty)
    }
}
