import Domain
import Foundation
import PolicyAdapters
import Testing

/// Errors found by the Domain (`PolicyBundle`, `CompiledBundle`), brought back to the file: the
/// node at the error's path and, for an expression, the exact column of the offending token.
@Suite("Policy folder: Domain errors at their place")
struct PolicyDomainErrorTests {
    func error(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> PolicyFileError {
        let fixture = try Fixture(["p.yaml": yaml])
        return try #require(fixture.loadError(sourceLocation: sourceLocation), sourceLocation: sourceLocation)
    }

    func rule(when: String) -> String {
        policyYAML(rules: "  - id: big\n    when: \(when)\n    score: 1\n    reason: r\n")
    }

    /// The message of the CEL parser for `expression`, and its position inside it.
    func celError(_ expression: String) throws -> (message: String, column: Int) {
        do {
            _ = try CompiledBundle([Policy(
                id: "p", version: "1", status: .active, owner: "o", refs: [], inputs: [PolicyInput(name: "txn.kind", type: .string)],
                variables: [], rules: [PolicyRule(id: "r", when: expression, score: 1, reason: "r")], thresholds: PolicyThresholds()
            )])
        } catch {
            return (error.message, try #require(error.expressionPosition).column)
        }
        Issue.record("'\(expression)' compiled")
        return ("", 0)
    }

    @Test func aCELSyntaxErrorInAPlainScalar() throws {
        let error = try error(rule(when: "txn.kind == \"cash\" && )"))
        let cel = try celError("txn.kind == \"cash\" && )")
        #expect(cel.column == 23)
        #expect(error.place == "p.yaml:10:33")  // `when: ` ends at column 10; `)` is the expression's 23rd character
        #expect(error.reason == "rules[0].when: \(cel.message)")
        #expect(error.rendered == "\(error.location): rules[0].when: \(cel.message)\n    when: txn.kind == \"cash\" && )\n                                ^")
    }

    @Test func aCELSyntaxErrorInAQuotedScalar() throws {
        // Each '' stands for one quote: the `)` is 2 columns right of the naive place.
        let single = try error(rule(when: "'txn.kind == ''cash'' && )'"))
        #expect(single.place == "p.yaml:10:36")
        #expect(single.rendered.hasSuffix("\n    when: 'txn.kind == ''cash'' && )'\n                                   ^"))
        // Escapes map through: \" is one character of the expression, written as two.
        let double = try error(rule(when: #""txn.kind == \"cash\" && )""#))
        #expect(double.place == "p.yaml:10:36")
        let unicode = try error(rule(when: #""txn.kind == \u0022ca\x73h\U00000022 && )""#))
        #expect(unicode.place == "p.yaml:10:51")
    }

    @Test func aCELSyntaxErrorInABlockScalar() throws {
        // Line 2 of the expression is line 2 of the block's content, shifted by its indentation.
        let literal = try error(rule(when: "|\n      txn.kind == \"cash\"\n        && txn.amount_minor >= )"))
        #expect(literal.place == "p.yaml:12:32")
        #expect(literal.rendered.hasSuffix("\n        && txn.amount_minor >= )\n                               ^"))
        // A folded block is one line of expression over two lines of file.
        let folded = try error(rule(when: ">\n      txn.kind == \"cash\" &&\n      txn.amount_minor >= )"))
        #expect(folded.place == "p.yaml:12:27")
        // A plain scalar over two lines folds the same way.
        let plain = try error(rule(when: "txn.kind == \"cash\" &&\n      txn.amount_minor >= )"))
        #expect(plain.place == "p.yaml:11:27")
    }

    @Test func anExpressionThatEndsTooEarly() throws {
        let error = try error(policyYAML(extra: "variables:\n  v: txn.amount_minor +\n"))
        #expect(error.reason.hasPrefix("variables.v: "))
        #expect(error.place == "p.yaml:9:24")  // just after the `+` (column 23)
    }

    @Test func validationErrorsAreAtTheirValue() throws {
        let id = try error(policyYAML(id: "Cash"))
        #expect(id.place == "p.yaml:1:9")
        #expect(id.reason == "policy: 'Cash' is not lower-case letters, digits, '_' and '-'")
        let twice = try error(policyYAML(rules: "  - id: big\n    when: txn.amount_minor > 0\n    score: 1\n    reason: r\n  - id: big\n    when: txn.amount_minor > 1\n    score: 1\n    reason: r\n"))
        #expect(twice.place == "p.yaml:13:9")
        #expect(twice.reason == "rules[1].id: duplicate rule id 'big'")
        let falling = try error(policyYAML() + "\n  block: 20\n")
        #expect(falling.place == "p.yaml:15:10")
        #expect(falling.reason == "thresholds.block: thresholds must rise: review < block < decline")
        let score = try error(policyYAML(rules: "  - id: big\n    when: txn.amount_minor > 0\n    score: 1000001\n    reason: r\n"))
        #expect(score.place == "p.yaml:11:12")
    }

    @Test func namedEntriesAreAtTheirNameAndDefaultsAtTheirValue() throws {
        let input = try error(policyYAML().replacingOccurrences(of: "  txn.kind: string", with: "  txn.kind: string\n  txn.Kind-2: string"))
        #expect(input.place == "p.yaml:8:3")
        #expect(input.reason == "inputs.txn.Kind-2: 'txn.Kind-2' is not identifiers joined by dots")
        let defaulted = try error(policyYAML().replacingOccurrences(of: "txn.kind: string", with: "txn.kind: {type: string, default: 5}"))
        #expect(defaulted.place == "p.yaml:7:37")
        #expect(defaulted.reason == "inputs.txn.kind.default: the default is not a value of type string")
        let variable = try error(policyYAML(extra: "variables:\n  txn: txn.kind == \"cash\"\n"))
        #expect(variable.place == "p.yaml:9:3")
        #expect(variable.reason == "variables.txn: variable 'txn' is already an input or variable name")
    }

    @Test func aDuplicatePolicyIdIsAtTheSecondFile() throws {
        let fixture = try Fixture(["a.yaml": policyYAML(id: "same"), "b.yaml": policyYAML(id: "same")])
        let error = try #require(fixture.loadError())
        #expect(error.place == "b.yaml:1:9")
        #expect(error.reason == "policy: duplicate policy id 'same' (also in \(fixture.path("a.yaml")))")
    }
}
