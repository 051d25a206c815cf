import Domain
import Foundation
import PolicyAdapters
import Testing

/// Errors of the YAML itself and of its shape: each at its exact file, line and column.
@Suite("Policy folder: YAML and shape errors")
struct PolicyYAMLErrorTests {
    func error(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> PolicyFileError {
        let fixture = try Fixture(["p.yaml": yaml])
        return try #require(fixture.loadError(sourceLocation: sourceLocation), sourceLocation: sourceLocation)
    }

    @Test func aSyntaxErrorIsAtLibyamlsMark() throws {
        // `when` is indented less than `id`: the rule's mapping ends, and a key appears where none may.
        let error = try error(policyYAML(rules: "  - id: big\n   when: txn.amount_minor > 0\n    score: 1\n    reason: r\n"))
        #expect(error.place == "p.yaml:10:4")
        #expect(error.reason.hasPrefix("YAML syntax: "))
        #expect(error.rendered.hasSuffix("\n   when: txn.amount_minor > 0\n   ^"))
        let unclosed = try self.error("policy: p\nrefs: [a, b\nversion: 1\n")
        #expect(unclosed.reason == "YAML syntax: did not find expected ',' or ']' (while parsing a flow sequence at 2:7)")
        #expect(unclosed.place == "p.yaml:3:8")
    }

    @Test func anUnknownKeyIsNamedWithTheNearestKnownOne() throws {
        let error = try error(policyYAML() + "\ntresholds2: {}\n".replacingOccurrences(of: "2", with: ""))
        #expect(error.place == "p.yaml:15:1")
        #expect(error.reason.hasPrefix("unknown key 'tresholds'; did you mean 'thresholds'? (known: policy, version,"))
        let inRule = try self.error(policyYAML(rules: "  - id: big\n    when: txn.amount_minor > 0\n    score: 1\n    reson: r\n"))
        #expect(inRule.place == "p.yaml:12:5")
        #expect(inRule.reason.hasPrefix("rules[0]: unknown key 'reson'; did you mean 'reason'?"))
        let far = try self.error(policyYAML(extra: "colour: blue\n"))
        #expect(far.place == "p.yaml:8:1")
        #expect(far.reason.hasPrefix("unknown key 'colour' (known: "))
    }

    @Test func aMissingRequiredKeyIsAtItsMapping() throws {
        let error = try error(policyYAML(rules: "  - id: big\n    when: txn.amount_minor > 0\n    score: 1\n"))
        #expect(error.place == "p.yaml:9:5")
        #expect(error.reason == "rules[0]: missing required key 'reason'")
        let root = try self.error("policy: p\nversion: 1\nstatus: active\nrules: []\n")
        #expect(root.place == "p.yaml:1:1")
        #expect(root.reason == "missing required key 'owner'")
    }

    @Test func aWrongTypeSaysWhatWasFound() throws {
        let quoted = try error(policyYAML(rules: "  - id: big\n    when: txn.amount_minor > 0\n    score: \"ten\"\n    reason: r\n"))
        #expect(quoted.place == "p.yaml:11:12")
        #expect(quoted.reason == "rules[0].score: expected an integer, found the string 'ten' (a quoted or block scalar is always a string)")
        #expect(quoted.rendered.hasSuffix("\n    score: \"ten\"\n           ^"))
        let float = try self.error(policyYAML(rules: "  - id: big\n    when: txn.amount_minor > 0\n    score: 1.5\n    reason: r\n"))
        #expect(float.reason == "rules[0].score: expected an integer, found the float 1.5: amounts are integers in minor units")
        let rules = try self.error(policyYAML(rules: "    id: big\n"))
        #expect(rules.place == "p.yaml:9:5")
        #expect(rules.reason == "rules: expected a list of rules (a sequence), found a mapping")
        let empty = try self.error(policyYAML(rules: "  - id: big\n    when:\n    score: 1\n    reason: r\n"))
        #expect(empty.place == "p.yaml:10:10")
        #expect(empty.reason == "rules[0].when: expected a CEL expression, found null")
        let type = try self.error(policyYAML().replacingOccurrences(of: "txn.kind: string", with: "txn.kind: strng"))
        #expect(type.place == "p.yaml:7:13")
        #expect(type.reason == "inputs.txn.kind: 'strng' is not one of int, uint, double, string, bool, bytes, list, map; did you mean 'string'?")
    }

    @Test func aDuplicateKeyIsAtItsSecondOccurrence() throws {
        let block = try error(policyYAML(rules: "  - id: big\n    when: txn.amount_minor > 0\n    score: 1\n    reason: r\n    score: 2\n"))
        #expect(block.place == "p.yaml:13:5")
        #expect(block.reason == "duplicate key 'score' (first at line 11, column 5)")
        let flow = try self.error(policyYAML().replacingOccurrences(of: "status: active", with: "status: active\nthresholds: {review: 1, \"review\": 2}"))
        #expect(flow.place == "p.yaml:4:25")
        #expect(flow.reason == "duplicate key 'review' (first at line 4, column 14)")
        let top = try self.error(policyYAML() + "\npolicy: again\n")
        #expect(top.place == "p.yaml:15:1")
        #expect(top.reason == "duplicate key 'policy' (first at line 1, column 1)")
    }

    @Test func anchorsAliasesTagsAndMergeKeysAreRefused() throws {
        let anchor = try error(policyYAML(rules: "  - id: big\n    when: &w txn.amount_minor > 0\n    score: 1\n    reason: r\n"))
        #expect(anchor.place == "p.yaml:10:11")
        #expect(anchor.reason.hasPrefix("anchors (&name) and aliases (*name) are refused"))
        let alias = try self.error("x: &a 1\n")
        #expect(alias.place == "p.yaml:1:4")
        let tag = try self.error(policyYAML(rules: "  - id: big\n    when: txn.amount_minor > 0\n    score: !!int 1\n    reason: r\n"))
        #expect(tag.place == "p.yaml:11:12")
        #expect(tag.reason.hasPrefix("tags (!name) are refused"))
        let merge = try self.error(policyYAML(rules: "  - id: big\n    <<: {score: 1}\n    when: txn.amount_minor > 0\n    reason: r\n"))
        #expect(merge.place == "p.yaml:10:5")
        #expect(merge.reason.hasPrefix("merge keys (<<) are refused"))
        let complexKey = try self.error("? [a, b]\n: 1\n")
        #expect(complexKey.place == "p.yaml:1:3")
        #expect(complexKey.reason == "a key must be a plain or quoted scalar, not a sequence or mapping")
    }

    @Test func theFileItselfIsChecked() throws {
        let fixture = try Fixture(["p.yaml": String(repeating: "#", count: PolicyFileLimits.yamlFileBytesMax + 1)])
        let large = try #require(fixture.loadError())
        #expect(large.place == "p.yaml:1:1")
        #expect(large.reason == "the file is 1048577 bytes, more than the limit of 1048576 bytes")
        try fixture.write("p.yaml", bytes: Array("policy: p\nowner: caf".utf8) + [0xC3, 0x28] + Array("\n".utf8))
        let utf8 = try #require(fixture.loadError())
        #expect(utf8.place == "p.yaml:2:11")
        #expect(utf8.reason == "the file is not UTF-8 (a malformed byte sequence)")
        try fixture.write("p.yaml", "policy: p\rowner: x\n")
        #expect(fixture.loadError()?.place == "p.yaml:1:10")
        try fixture.write("p.yaml", "# nothing but a comment\n")
        #expect(fixture.loadError()?.reason == "the file holds no YAML document")
        try fixture.write("p.yaml", "policy: p\n---\npolicy: q\n")
        #expect(fixture.loadError()?.reason.hasPrefix("YAML syntax: but found another document") == true)
        try fixture.write("p.yaml", "- 1\n")
        #expect(fixture.loadError()?.reason == "expected a policy (a mapping), found a sequence")
    }

    @Test func aByteOrderMarkAndCRLFAreRead() throws {
        let fixture = try Fixture(["p.yaml": "\u{FEFF}" + policyYAML().replacingOccurrences(of: "\n", with: "\r\n")])
        #expect(try PolicyFolder.load(fixture.folder).bundle.policies[0].rules[0].when == "txn.amount_minor >= 900000")
        try fixture.write("p.yaml", "\u{FEFF}" + policyYAML(rules: "  - id: big\n    when: txn.amount_minor > 0\n    score: x\n    reason: r\n").replacingOccurrences(of: "\n", with: "\r\n"))
        let error = try #require(fixture.loadError())
        #expect(error.place == "p.yaml:11:12")
        #expect(error.sourceLine == "    score: x")
    }

    @Test func deepNestingIsRefusedWithoutExhaustingTheStack() throws {
        let fixture = try Fixture(["p.yaml": "x: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "\n"])
        let error = try #require(fixture.loadError())
        #expect(error.reason == "sequences and mappings nest deeper than 72 levels")
        #expect(error.place == "p.yaml:1:75")
        // Deeper than libyaml's own limit (1,000): its error, from a thread with room for it.
        try fixture.write("p.yaml", String(repeating: "- ", count: 5_000) + "x\n")
        #expect(fixture.loadError()?.reason.hasPrefix("YAML syntax: ") == true)
        try fixture.write("p.yaml", String(repeating: "- ", count: 999) + "x\n")
        #expect(fixture.loadError()?.reason == "sequences and mappings nest deeper than 72 levels")
    }
}
