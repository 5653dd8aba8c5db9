import Foundation
import LiqSync
import Testing

@Suite("A row's fields: a name-ordered list that reads and writes like the dictionary it replaces")
struct FieldValuesTests {
    @Test("set, replace, remove and read back; canonical text equal to the dictionary's")
    func behavesLikeADictionary() {
        var dictionary: [String: JSON] = [:]
        var fields = FieldValues()
        let steps: [(String, JSON?)] = [
            ("tags", .array([.string("vip")])), ("email", .string("a@example.com")), ("zeta", .number(3)), ("city", .string("Austin")),
            ("email", .string("b@example.com")), ("Ünïcode", .string("x")), ("city", nil), ("address1", .string("1 Main St")), ("missing", nil),
            ("custom.Lead Score", .string("7")), ("first_name", .string("Quote \" and \\ ")),
        ]
        for (name, value) in steps {
            dictionary[name] = value
            fields[name] = value
            #expect(fields.canonicalText == JSON.object(dictionary).canonicalText)
            #expect(fields.count == dictionary.count)
        }
        for name in dictionary.keys { #expect(fields[name] == dictionary[name]) }
        #expect(fields["city"] == nil)
        #expect(fields.dictionary == dictionary)
        #expect(FieldValues(dictionary).canonicalText == fields.canonicalText)
        #expect(fields.map(\.key) == dictionary.keys.sorted())
    }
}
