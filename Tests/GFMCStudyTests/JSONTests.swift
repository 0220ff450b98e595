import GFMCStudy
import Testing

@Suite struct JSONCommentTests {
    @Test func stripsLineAndBlockComments() throws {
        let text = """
        {
          // a line comment
          "a": 1, /* block */ "b": 2
        }
        """
        let value = try JSONParser.parse(try JSONComments.strip(text))
        #expect(value == .object(["a": .number("1"), "b": .number("2")]))
    }

    @Test func leavesCommentMarkersInsideStringsAlone() throws {
        let text = #"{"url": "http://example.org/x", "c": "a /* not */ b", "q": "say \"//\" ok", "e": "\\"} // end"#
        let value = try JSONParser.parse(try JSONComments.strip(text))
        #expect(value == .object([
            "url": .string("http://example.org/x"),
            "c": .string("a /* not */ b"),
            "q": .string(#"say "//" ok"#),
            "e": .string("\\"),
        ]))
    }

    @Test func keepsLineNumbersForLaterErrors() throws {
        let text = "/* one\ntwo\nthree */ {\"a\": }"
        let stripped = try JSONComments.strip(text)
        #expect(stripped.split(separator: "\n", omittingEmptySubsequences: false).count == 3)
        #expect(throws: StudyError.self) { try JSONParser.parse(stripped) }
        do {
            _ = try JSONParser.parse(stripped)
        } catch let StudyError.syntax(message) {
            #expect(message.hasPrefix("line 3,"))
        }
    }

    @Test func unterminatedBlockCommentIsAnError() {
        #expect(throws: StudyError.syntax(message: "block comment opened on line 2 is never closed with */")) {
            try JSONComments.strip("{\n /* open\n \"a\": 1 }")
        }
    }

    @Test func lineCommentAtEndOfFileWithoutNewline() throws {
        #expect(try JSONParser.parse(JSONComments.strip("[1, 2] // done")) == .array([.number("1"), .number("2")]))
    }
}

@Suite struct JSONParserTests {
    @Test func keepsBigIntegerLiteralsExactly() throws {
        let value = try JSONParser.parse(#"{"seed": 18446744073709551615}"#)
        #expect(value == .object(["seed": .number("18446744073709551615")]))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSONParser.parse(#"["\u00e9\n\t\/", "\ud83d\ude00"]"#)
        #expect(value == .array([.string("é\n\t/"), .string("😀")]))
    }

    @Test(arguments: [
        "{\"a\": 1,}", "[1 2]", "{\"a\" 1}", "01", "1.", "-", "\"abc", "{\"a\": 1} x", "tru", "[1e]", "{\"a\":1,\"a\":2}",
        "\"tab\there\"",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: StudyError.self) { try JSONParser.parse(text) }
    }

    @Test func duplicateKeyErrorNamesTheKeyPath() {
        do {
            _ = try JSONParser.parse(#"{"data": {"noise": 1, "noise": 2}}"#)
            Issue.record("duplicate key accepted")
        } catch let StudyError.syntax(message) {
            #expect(message.contains("data.noise"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func canonicalTextSortsKeysAndDropsWhitespace() throws {
        let a = try JSONParser.parse("{ \"b\" : [1, {\"z\":true, \"a\":null}],\n \"a\": \"x\\\"y\" }")
        #expect(a.canonicalText == #"{"a":"x\"y","b":[1,{"a":null,"z":true}]}"#)
    }
}
