@testable import Domain
import Testing

@Suite("CEL checker")
struct CELCheckerTests {
    static let declarations = CELDeclarations(names: [
        "txn.amount_minor": .int, "txn.kind": .string, "txn.currency": .string, "txn.meta": .map, "txn.tags": .list,
        "features.count_24h": .int, "ratio": .double, "limit": .uint, "flag": .bool, "blob": .bytes,
    ])

    private func failure(
        _ source: String, _ declarations: CELDeclarations = Self.declarations, expecting: CELCheckedType? = .bool
    ) throws -> CELParseError {
        try #require(throws: CELParseError.self) { try CELProgram(source, declarations: declarations, expecting: expecting) }
    }

    private func expectFailure(
        _ source: String, _ kind: CELParseError.Kind, at line: Int, _ column: Int, containing text: String? = nil,
        expecting: CELCheckedType? = .bool, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let error = try failure(source, expecting: expecting)
        #expect(error.kind == kind, "\(source): \(error)", sourceLocation: sourceLocation)
        #expect(error.position == CELSourcePosition(line: line, column: column), "\(source): \(error)", sourceLocation: sourceLocation)
        if let text { #expect(error.message.contains(text), "\(source): \(error.message)", sourceLocation: sourceLocation) }
    }

    @Test func undeclaredNamesAreFoundAtTheirFirstWrongPart() throws {
        try expectFailure("txn.amout_minor > 5", .undeclaredReference, at: 1, 5, containing: "did you mean 'txn.amount_minor'")
        try expectFailure("txm.amount_minor > 5", .undeclaredReference, at: 1, 1, containing: "'txm.amount_minor'")
        try expectFailure("nope + 1 > 2", .undeclaredReference, at: 1, 1, containing: "'nope'")
        try expectFailure("txn.amount_minor > 0 &&\n  txn.knd == 'cash'", .undeclaredReference, at: 2, 7, containing: "'txn.kind'")
        // A namespace of dotted inputs is not a value, alone or as an operand.
        try expectFailure("txn == 1", .undeclaredReference, at: 1, 1, containing: "'txn' is not a value")
        try expectFailure("size(txn) > 0", .undeclaredReference, at: 1, 6, containing: "such as 'txn.")
        // Earlier positions in the tree stay right after a comprehension and a has() (their
        // variable and selection are not nodes of their own).
        try expectFailure("txn.tags.all(x, y)", .undeclaredReference, at: 1, 17, containing: "'y'")
        try expectFailure("has(txn.meta.a) && zz", .undeclaredReference, at: 1, 20, containing: "'zz'")
        // has() on a declared input cannot work when evaluated: the bindings hold no map `txn`.
        try expectFailure("has(txn.amount_minor)", .undeclaredReference, at: 1, 1, containing: "give it a default")
    }

    @Test func unknownFunctionsAndWrongArguments() throws {
        try expectFailure("frobnicate(txn.kind)", .unknownFunction, at: 1, 1, containing: "'frobnicate'")
        try expectFailure("txn.kind.frob() == 1", .unknownFunction, at: 1, 10)
        try expectFailure("size(txn.kind, 1) > 0", .wrongArguments, at: 1, 1, containing: "takes 1 argument, not 2")
        try expectFailure("txn.kind.contains()", .wrongArguments, at: 1, 10, containing: "takes 1 argument, not 0")
        try expectFailure("contains(txn.kind, 'a')", .wrongArguments, at: 1, 1, containing: "is a method")
        try expectFailure("txn.kind.int() > 1", .wrongArguments, at: 1, 10, containing: "is not a method")
        try expectFailure("txn.tags.all(x)", .wrongArguments, at: 1, 10, containing: "macro")
    }

    @Test func operatorsAndFunctionsWithoutAnOverload() throws {
        try expectFailure("txn.kind > 5", .noMatchingOverload, at: 1, 10, containing: "'>' applied to (string, int)")
        try expectFailure(#""a" + 1 == "a1""#, .noMatchingOverload, at: 1, 5, containing: "(string, int)")
        try expectFailure("size(1) > 0", .noMatchingOverload, at: 1, 1, containing: "'size' applied to (int)")
        try expectFailure("!5", .noMatchingOverload, at: 1, 1, containing: "'!'")
        try expectFailure("-txn.kind == 'a'", .noMatchingOverload, at: 1, 1)
        // Arithmetic does not mix numeric types, even where comparison does.
        try expectFailure("txn.amount_minor + ratio > 1.0", .noMatchingOverload, at: 1, 18, containing: "(int, double)")
        try expectFailure("ratio % 2.0 > 1.0", .noMatchingOverload, at: 1, 7)
        try expectFailure("limit - 1 > 0u", .noMatchingOverload, at: 1, 7, containing: "(uint, int)")
        try expectFailure("txn.kind[0] == 'c'", .noMatchingOverload, at: 1, 9, containing: "'[]'")
        try expectFailure("txn.tags['a'] == 1", .noMatchingOverload, at: 1, 9, containing: "(list, string)")
        try expectFailure("txn.amount_minor.cents > 1", .noMatchingOverload, at: 1, 18, containing: "'.cents'")
        try expectFailure("has(txn.amount_minor.x)", .noMatchingOverload, at: 1, 1, containing: "has()")
        try expectFailure("flag || 5", .noMatchingOverload, at: 1, 6, containing: "'||' applied to (bool, int)")
        try expectFailure("5 ? true : false", .noMatchingOverload, at: 1, 3, containing: "'?:'")
        try expectFailure("txn.tags.all(x, 1)", .noMatchingOverload, at: 1, 17, containing: "predicate of all gives int")
        try expectFailure("txn.amount_minor.exists(x, true)", .noMatchingOverload, at: 1, 18, containing: "'exists'")
        try expectFailure("{1.5: 2}[1.5] == 2", .noMatchingOverload, at: 1, 2, containing: "not double")
        try expectFailure("txn.kind in 'cash'", .noMatchingOverload, at: 1, 10, containing: "'in'")
        try expectFailure("int(flag) == 1", .noMatchingOverload, at: 1, 1, containing: "'int' applied to (bool)")
    }

    @Test func literalPatternsAreCompiled() throws {
        try expectFailure("txn.kind.matches('(')", .invalidArgument, at: 1, 18, containing: "invalid pattern")
        // A pattern known only when evaluating is not.
        _ = try CELProgram("txn.kind.matches(txn.currency)", declarations: Self.declarations, expecting: .bool)
    }

    @Test func theWholeExpressionMustHaveTheExpectedType() throws {
        try expectFailure("txn.amount_minor + 1", .wrongResultType, at: 1, 1, containing: "gives int, expected bool")
        try expectFailure("  (txn.kind)", .wrongResultType, at: 1, 4, containing: "gives string")
        // Without an expected type (a variable), anything goes; a dyn result passes as a bool.
        #expect(try CELProgram("txn.amount_minor + 1", declarations: Self.declarations).resultType == .int)
        #expect(try CELProgram("txn.meta.flag", declarations: Self.declarations, expecting: .bool).resultType == .dyn)
    }

    @Test(arguments: [
        "txn.amount_minor >= 900000 && txn.kind == \"cash\"",
        "txn.amount_minor < ratio && limit > 5 && limit < 2.5 && 1u == 1",
        "txn.amount_minor == 1.0 || txn.kind == 1 || txn.tags == null",
        "txn.tags.exists(t, t == 'vip') && txn.tags.all(t, t.startsWith('a'))",
        "txn.tags.map(t, size(t)).exists(n, n > 3) && txn.tags.filter(t, t != 'x').size() > 0",
        "txn.tags.map(t, t != '', t + '!').size() == 1 && txn.tags.exists_one(t, t.endsWith('z'))",
        "txn.tags.exists(txn, txn == 'a')",
        "txn.tags.exists(a, txn.tags.all(b, a == b && b.contains(a)))",
        "has(txn.meta.source) && txn.meta.a.b.c == 1 && txn.meta['k'] == 'v' && 'k' in txn.meta",
        "txn.meta.items.exists(i, i.amount > 5 && has(i.note))",
        "type(txn.kind) == string && int(txn.kind) > 0 && double(txn.amount_minor) / 100.0 > ratio",
        "dyn(txn.kind) > 5 && txn.meta.x + 1 > 2 && txn.meta.y < 'z'",
        "txn.kind in ['cash', 'wire'] && size(txn.kind) > 3 && txn.kind.size() > 3",
        "flag ? txn.amount_minor > 0 : false",
        "txn.kind.matches('^c') && matches(txn.kind, 'a+')",
        "blob + b'x' == b'yx' && string(blob) == 'y' && bytes(txn.kind) == blob",
        "{'a': 1}['a'] == 1 && [1, 2.0][0] < 3 && {txn.kind: 1}.size() == 1",
        "-txn.amount_minor < 0 && !flag && -ratio < 0.0 && features.count_24h % 2 == 0",
        "uint(txn.amount_minor) + limit > 1u && bool(txn.kind) && string(ratio) != ''",
        "(txn.amount_minor > 1 ? txn.kind : txn.currency).startsWith('c')",
        "txn.tags[0] == 'a' && txn.tags[1u] == 'b' && [1][0.0] == 1",
    ])
    func validExpressionsPass(_ source: String) throws {
        let program = try CELProgram(source, declarations: Self.declarations, expecting: .bool)
        #expect(program.resultType == .bool || program.resultType == .dyn)
    }

    @Test func variablesTakeTheTypeOfTheirExpression() throws {
        var declarations = Self.declarations
        let usd = try CELProgram("txn.amount_minor / 100", declarations: declarations)
        #expect(usd.resultType == .int)
        declarations.declare("usd", as: usd.resultType)
        let big = try CELProgram("usd >= 9000", declarations: declarations, expecting: .bool)
        declarations.declare("big", as: big.resultType)
        #expect(big.resultType == .bool)
        _ = try CELProgram("big && usd * 2 > 1", declarations: declarations, expecting: .bool)
        // A variable's type is checked where it is used, as an input's is.
        let error = try failure("usd + 'a' == 'b'", declarations)
        #expect(error.kind == .noMatchingOverload && error.position == CELSourcePosition(line: 1, column: 5))
        // A variable of unknown type is dyn: anything passes.
        declarations.declare("meta_kind", as: try CELProgram("txn.meta.kind", declarations: declarations).resultType)
        _ = try CELProgram("meta_kind > 5 && meta_kind.startsWith('a')", declarations: declarations, expecting: .bool)
    }

    @Test func uncheckedProgramsStillCompileAnything() throws {
        // The conformance cases run without declarations: nothing is refused before evaluation.
        let program = try CELProgram("nope.x + 'a' > 5")
        #expect(program.resultType == .dyn)
        #expect(throws: CELEvalError.unknownIdentifier("nope")) { try program.evaluate() }
    }
}

@Suite("CEL extension functions")
struct CELExtensionFunctionTests {
    static let twice = CELExtensionFunction(name: "twice", argumentTypes: [.int], resultType: .int) { arguments throws(CELEvalError) in
        guard case .int(let value) = arguments[0] else { throw .noSuchOverload("twice(\(arguments[0].type.rawValue))") }
        let (result, overflow) = value.multipliedReportingOverflow(by: 2)
        guard !overflow else { throw .overflow("twice") }
        return .int(result)
    }
    static let shout = CELExtensionFunction(name: "shout", form: .method, argumentTypes: [.string], resultType: .string) { arguments in
        guard case .string(let text) = arguments[0] else { return .string("") }
        return .string(text.uppercased())
    }
    static let declarations = CELDeclarations(names: ["n": .int, "s": .string, "m": .map], functions: [twice, shout])

    private func program(_ source: String) throws -> CELProgram {
        try CELProgram(source, declarations: Self.declarations)
    }

    @Test func extensionFunctionsAreCheckedAndEvaluated() throws {
        let sum = try program("twice(n) + 1")
        #expect(sum.resultType == .int)
        #expect(try sum.evaluate(["n": .int(20)]) == .int(41))
        #expect(try program("[1, 2].map(x, twice(x))").evaluate() == .list([.int(2), .int(4)]))
        #expect(try program("s.shout() == 'HI'").evaluate(["s": .string("hi")]) == .bool(true))
        // A dyn argument passes the checker; a value of the wrong type is refused before the
        // implementation runs.
        var meta = CELMap()
        meta.insert(.string("v"), .string("x"))
        #expect(throws: CELEvalError.noSuchOverload("twice(string)")) { try program("twice(m.v) > 0").evaluate(["m": .map(meta)]) }
        // The implementation's own errors come through.
        #expect(throws: CELEvalError.overflow("twice")) { try program("twice(n)").evaluate(["n": .int(.max)]) }
        // A part of the expression, evaluated on its own (coverage), still sees the functions.
        let rule = try program("n > 0 && twice(n) == 4")
        guard case .and(_, let right) = rule.expression else { Issue.record("not an &&"); return }
        #expect(try rule.evaluate(part: right, ["n": .int(2)]) == .bool(true))
        // Undeclared, the name is unknown when evaluated.
        #expect(throws: CELEvalError.unknownFunction("twice")) { try CELProgram("twice(1)").evaluate() }
    }

    @Test func extensionFunctionsAreCheckedLikeStandardOnes() throws {
        let cases: [(String, CELParseError.Kind, Int)] = [
            ("twice('a') > 1", .noMatchingOverload, 1), ("n.twice() > 1", .wrongArguments, 3),
            ("shout(s) == ''", .wrongArguments, 1), ("twice(1, 2) > 1", .wrongArguments, 1), ("s.shout() > 1", .noMatchingOverload, 11),
        ]
        for (source, kind, column) in cases {
            let error = try #require(throws: CELParseError.self) { try CELProgram(source, declarations: Self.declarations) }
            #expect(error.kind == kind && error.position == CELSourcePosition(line: 1, column: column), "\(source): \(error)")
        }
    }

    static func policy(lists: [PolicyNameList], when: String) -> Policy {
        Policy(
            id: "screening", version: "1", status: .active, owner: "aml", refs: [],
            inputs: [PolicyInput(name: "txn.counterparty_name", type: .string), PolicyInput(name: "txn.kind", type: .string)],
            variables: [], rules: [PolicyRule(id: "r", when: when, score: 1, reason: "r")], thresholds: PolicyThresholds(), lists: lists)
    }

    static let lists = [
        PolicyNameList(name: "sanctions", source: "data/sanctions.csv", entries: [NameListEntry(id: "1", name: "Ivan Petrov")]),
        PolicyNameList(name: "pep", source: "data/pep.csv", entries: [NameListEntry(id: "7", name: "Ada Lovelace")]),
    ]

    @Test func nameDistanceBindsEachLiteralListOfThePolicy() throws {
        let declarations = CompiledBundle.declarations(Self.policy(lists: Self.lists, when: "true"))
        let sanctions = try CELProgram("name_distance(txn.counterparty_name, 'sanctions')", declarations: declarations)
        let pep = try CELProgram("name_distance(txn.counterparty_name, \"pep\")", declarations: declarations)
        #expect(sanctions.resultType == .int)
        func distance(_ program: CELProgram, _ name: String) throws -> CELValue {
            try program.evaluate(["txn.counterparty_name": .string(name)])
        }
        #expect(try distance(sanctions, "PETROV, Ivan") == .int(0))
        #expect(try distance(sanctions, "Ivan Petrova") == .int(1))
        #expect(try distance(sanctions, "Ada Lovelace") == .int(3))
        #expect(try distance(pep, "Ada Lovelace") == .int(0))
        // The rules of a bundle compile with it.
        _ = try CompiledBundle([Self.policy(lists: Self.lists, when: "name_distance(txn.counterparty_name, 'pep') <= 2")])
    }

    @Test(arguments: [
        ("name_distance(txn.counterparty_name, txn.kind) == 0", "must be a string literal"),
        ("name_distance(txn.counterparty_name, 'sanctons') == 0", "unknown list 'sanctons'; the policy's lists are pep, sanctions"),
    ])
    func nameDistanceNeedsADeclaredListLiteral(_ when: String, _ message: String) throws {
        let error = try #require(throws: PolicyError.self) { try CompiledBundle([Self.policy(lists: Self.lists, when: when)]) }
        #expect(error.expressionPosition == CELSourcePosition(line: 1, column: 38))
        #expect(error.path == [.key("rules"), .index(0), .key("when")])
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func nameDistanceWithoutListsSaysSo() throws {
        let error = try #require(throws: PolicyError.self) {
            try CompiledBundle([Self.policy(lists: [], when: "name_distance(txn.counterparty_name, 'sanctions') == 0")])
        }
        #expect(error.message.contains("the policy declares no lists"), "\(error.message)")
        let arity = try #require(throws: PolicyError.self) {
            try CompiledBundle([Self.policy(lists: Self.lists, when: "name_distance('sanctions') == 0")])
        }
        #expect(arity.message.contains("takes 2 arguments, not 1") && arity.expressionPosition == CELSourcePosition(line: 1, column: 1))
    }
}

@Suite("CEL value-free errors")
struct CELSafeErrorTests {
    @Test func everyCodeIsStable() {
        #expect(Set(CELEvalError.Code.allCases.map(\.rawValue)) == [
            "overflow", "division_by_zero", "modulo_by_zero", "no_such_overload", "no_such_key", "index_out_of_range",
            "invalid_argument", "unknown_identifier", "unknown_function", "duplicate_key", "unsupported_key_type", "limit_exceeded",
        ])
    }

    @Test func safeDescriptionsNeverQuoteValues() throws {
        let secret = CELValue.string("ACC-4711-SECRET")
        let big = CELValue.list(Array(repeating: .int(4711), count: 6_000))
        // Source, bindings, expected code, and a text of the bindings' values that the detailed
        // description quotes (empty when it quotes none), which the safe one must not.
        let cases: [(String, [String: CELValue], CELEvalError.Code, String)] = [
            ("int(s)", ["s": secret], .invalidArgument, "4711"),
            ("m[s]", ["m": .map(CELMap()), "s": secret], .noSuchKey, "4711"),
            ("{s: 1, s: 2}", ["s": secret], .duplicateKey, "4711"),
            ("x + 1", ["x": .int(.max)], .overflow, "9223372036854775807"),
            ("l[i]", ["l": .list([]), "i": .int(4711)], .indexOutOfRange, "4711"),
            ("l + l", ["l": big], .limitExceeded, "12000"),
            ("x / 0", ["x": .int(4711)], .divisionByZero, ""),
            ("x % 0", ["x": .int(4711)], .moduloByZero, ""),
            ("s > 1", ["s": secret], .noSuchOverload, ""),
            ("{l: 1}", ["l": .list([.int(4711)])], .unsupportedKeyType, ""),
            ("nope", [:], .unknownIdentifier, ""),
            ("nope()", [:], .unknownFunction, ""),
        ]
        for (source, bindings, code, quoted) in cases {
            let error = try #require(throws: CELEvalError.self) { try CELProgram(source).evaluate(bindings) }
            #expect(error.code == code, "\(source): \(error)")
            if !quoted.isEmpty { #expect(error.description.contains(quoted), "\(source): \(error)") }
            for value in ["4711", "9223372036854775807", "12000"] {
                #expect(!error.safeDescription.contains(value), "\(source): \(error.safeDescription)")
            }
        }
        #expect(try #require(throws: CELEvalError.self) { try CELProgram("s > 1").evaluate(["s": secret]) }.safeDescription
            == "no such overload: string > int")
    }
}
