import EmbargoReports
import Foundation
import Testing

@Suite("JSON writer")
struct JSONValueTests {
    @Test("escapes control characters, quotes and backslashes; keys come out sorted; parses back")
    func roundTrip() throws {
        let value = JSONValue.object([
            "z": .string("quote \" backslash \\ newline \n tab \t bell \u{07} ünïcode ✓"),
            "a": .array([.integer(-3), .number(1.5), .bool(true), .null, .array([]), .object([:])]),
        ])
        let bytes = value.serialized()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.firstRange(of: "\"a\"")!.lowerBound < text.firstRange(of: "\"z\"")!.lowerBound)
        #expect(text.contains("\\u0007"))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(parsed["z"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{07} ünïcode ✓")
        let array = try #require(parsed["a"] as? [Any])
        #expect(array.count == 6)
        #expect(array[0] as? Int == -3)
        #expect(array[3] is NSNull)
    }

    @Test("the same value always gives the same bytes")
    func stable() {
        let members = Dictionary(uniqueKeysWithValues: (0..<50).map { ("key\($0)", JSONValue.integer($0)) })
        #expect(JSONValue.object(members).serialized() == JSONValue.object(members).serialized())
    }
}
