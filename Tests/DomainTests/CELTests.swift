import Domain
import Testing

@Suite struct CELTests {
    private func eval(_ source: String, _ bindings: [String: CELValue] = [:]) throws -> CELValue {
        try CELProgram(source).evaluate(bindings)
    }

    private func evalError(_ source: String, _ bindings: [String: CELValue] = [:]) throws -> CELEvalError? {
        let program = try CELProgram(source)
        do {
            _ = try program.evaluate(bindings)
            return nil
        } catch {
            return error
        }
    }

    @Test func integerOverflowIsAnErrorNotAWrap() throws {
        #expect(try evalError("9223372036854775807 + 1") == .overflow("9223372036854775807 + 1"))
        #expect(try evalError("-9223372036854775808 - 1") != nil)
        #expect(try evalError("-(-9223372036854775808)") == .overflow("negation"))
        #expect(try evalError("(-9223372036854775808) / -1") != nil)
        #expect(try evalError("0u - 1u") != nil)
        #expect(try evalError("5000000000 * 5000000000") != nil)
        #expect(try eval("-9223372036854775808") == .int(.min))
        #expect(throws: CELParseError.self) { try CELProgram("9223372036854775808") }
    }

    @Test func divisionAndModulusByZero() throws {
        #expect(try evalError("1 / 0") == .divisionByZero)
        #expect(try evalError("1 % 0") == .moduloByZero)
        #expect(try evalError("1u / 0u") == .divisionByZero)
        #expect(try eval("1.0 / 0.0") == .double(.infinity))
    }

    @Test func logicalOperatorsAbsorbErrorsInBothOrders() throws {
        #expect(try eval("1/0 == 1 || true") == .bool(true))
        #expect(try eval("true || 1/0 == 1") == .bool(true))
        #expect(try eval("1/0 == 1 && false") == .bool(false))
        #expect(try eval("false && 1/0 == 1") == .bool(false))
        #expect(try evalError("1/0 == 1 && true") == .divisionByZero)
        #expect(try evalError("true && 1/0 == 1") == .divisionByZero)
        #expect(try evalError("false || 1/0 == 1") == .divisionByZero)
        #expect(try eval("x || true") == .bool(true))
    }

    @Test func literalsAndOperators() throws {
        #expect(try eval("0x1F + 1") == .int(32))
        #expect(try eval("1u + 0x2u") == .uint(3))
        #expect(try eval("2.5e1") == .double(25))
        #expect(try eval(#"'\x41\u0042\U00000043\104\n'"#) == .string("ABCD\n"))
        #expect(try eval(#"r'\n'"#) == .string("\\n"))
        #expect(try eval("'''a\nb'''") == .string("a\nb"))
        #expect(try eval(#"b'\xff\101'"#) == .bytes([0xFF, 0x41]))
        #expect(try eval("1 == 1u && 1u == 1.0 && [1, 2] == [1.0, 2u]") == .bool(true))
        #expect(try eval("{1: 'a', 2u: 'b'}[2]") == .string("b"))
        #expect(try eval("'a' < 'b' && 3 in [1, 2, 3] && 'k' in {'k': 1}") == .bool(true))
        #expect(try eval("size('héllo') == 5 && 'hello'.startsWith('he') && 'hello'.contains('ll')") == .bool(true))
        #expect(try eval("x.y > 2 ? 'big' : 'small'", ["x": .map({ var m = CELMap(); m.insert(.string("y"), .int(3)); return m }())])
            == .string("big"))
        #expect(try eval("[1, 2, 3].filter(n, n > 1).map(n, n * 10)") == .list([.int(20), .int(30)]))
        #expect(try eval("[1, 2, 3].exists_one(n, n == 2) && [1, 2].all(n, n > 0)") == .bool(true))
    }

    @Test func tooDeepExpressionIsRefused() throws {
        let depth = CELLimits.nestingDepthMax + 1
        let source = String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth)
        let error = try #require(throws: CELParseError.self) { try CELProgram(source) }
        #expect(error.message.contains("nests deeper than \(CELLimits.nestingDepthMax)"))
        let chain = (0...CELLimits.nestingDepthMax).map { _ in "true" }.joined(separator: " && ")
        #expect(throws: CELParseError.self) { try CELProgram(chain) }
    }

    @Test func tooLongExpressionIsRefused() throws {
        let source = "'" + String(repeating: "a", count: CELLimits.expressionBytesMax) + "'"
        let error = try #require(throws: CELParseError.self) { try CELProgram(source) }
        #expect(error.message.contains("bytes; the limit is \(CELLimits.expressionBytesMax)"))
    }

    @Test func tooLongStringIsRefusedDuringEvaluation() throws {
        let half = String(repeating: "a", count: CELLimits.stringBytesMax / 2 + 1)
        let error = try evalError("s + s", ["s": .string(half)])
        guard case .limitExceeded(let what) = error else {
            Issue.record("expected a limit error, got \(String(describing: error))")
            return
        }
        #expect(what.contains("the limit is \(CELLimits.stringBytesMax)"))
    }

    @Test func memoryBuiltInOneEvaluationIsBounded() throws {
        // Each string is under the per-string limit; together they exceed the evaluation budget.
        let chunk = CELValue.string(String(repeating: "a", count: CELLimits.stringBytesMax / 2))
        let count = CELLimits.evaluationBytesMax / CELLimits.stringBytesMax * 2 + 2
        let xs = CELValue.list(Array(repeating: .int(0), count: count))
        guard case .limitExceeded(let what) = try evalError("xs.map(x, s + s)", ["xs": xs, "s": chunk]) else {
            Issue.record("building many big strings was not stopped")
            return
        }
        #expect(what.contains("bytes of values built"))
    }

    @Test func macrosOverBigListsStopAtTheLimit() throws {
        let big = CELValue.list(Array(repeating: .int(1), count: CELLimits.listElementsMax))
        #expect(try eval("xs.all(x, x == 1)", ["xs": big]) == .bool(true))
        guard case .limitExceeded = try evalError("xs + [1]", ["xs": big]) else {
            Issue.record("list concatenation past the limit was not refused")
            return
        }
        // Nested macros multiply the work: the step budget stops them.
        guard case .limitExceeded = try evalError("xs.all(x, xs.all(y, y == x))", ["xs": big]) else {
            Issue.record("nested macros were not stopped by the step limit")
            return
        }
    }

    @Test func parseErrorsRenderWithFileLineColumnAndCaret() throws {
        let source = "a &&\n  b +* c"
        let error = try #require(throws: CELParseError.self) { try CELProgram(source) }
        #expect(error.position == CELSourcePosition(line: 2, column: 6))
        #expect(error.rendered(file: "policy.cel", source: source) == """
            policy.cel:2:6: unexpected '*'
              b +* c
                 ^
            """)
    }

    @Test func matchesUsesALinearTimeEngine() throws {
        #expect(try eval("'abc-123'.matches('^[a-z]+-\\\\d{3}$')") == .bool(true))
        #expect(try eval("'abc-12'.matches('^[a-z]+-\\\\d{3}$')") == .bool(false))
        #expect(try eval("'x.y'.matches('x\\\\.y') && !'xzy'.matches('x\\\\.y')") == .bool(true))
        #expect(try eval("'grey'.matches('gr(?:a|e)y') && 'B'.matches('[^a-z]')") == .bool(true))
        // Exponential for a backtracking engine; linear here.
        let text = CELValue.string(String(repeating: "a", count: 20_000))
        #expect(try eval("s.matches('(a*)*b')", ["s": text]) == .bool(false))
        #expect(try eval("s.matches('(a|aa)+$')", ["s": text]) == .bool(true))
        guard case .invalidArgument = try evalError("'a'.matches('(?i)a')") else {
            Issue.record("unsupported regex syntax was not refused")
            return
        }
        guard case .limitExceeded = try evalError("s.matches('a{1000}')", ["s": text]) else {
            Issue.record("a search beyond the work limit was not refused")
            return
        }
    }

    @Test func namesMapsAndConversions() throws {
        #expect(try eval("a.b.c", ["a.b.c": .string("yes")]) == .string("yes"))
        var inner = CELMap()
        inner.insert(.string("c"), .string("via map"))
        #expect(try eval("a.b.c", ["a.b": .map(inner)]) == .string("via map"))
        #expect(try eval("[1].map(a, a + 1)", ["a": .int(100)]) == .list([.int(2)]))
        #expect(try evalError("{1: 'a', 1u: 'b'}") == .duplicateKey("1u"))
        #expect(try evalError("{1.5: 'a'}") == .unsupportedKeyType(.double))
        #expect(try eval("int('42') + int(3.9) == 45 && uint(7) == 7u && double('1.5') == 1.5") == .bool(true))
        #expect(try eval("string(12) + string(true) + string(b'ok')") == .string("12trueok"))
        #expect(try eval("type(1) == int && type('s') == string") == .bool(true))
        #expect(try evalError("int(1e19)") != nil)
        #expect(try evalError("uint(-1)") != nil)
        #expect(try evalError("unknown(1)") == .unknownFunction("unknown"))
        #expect(try evalError("nope") == .unknownIdentifier("nope"))
    }

    @Test(arguments: [
        ("'abc", 1, 1, "unterminated string literal"),
        ("1 +", 1, 4, "unexpected end of input"),
        ("x.all(1, true)", 1, 3, "the first argument of all must be a variable name"),
        ("'é' + #", 1, 7, "unexpected character '#'"),
        ("[1, 2\n, 3", 2, 4, "expected ']', found end of input"),
        ("'\\q'", 1, 2, "invalid escape sequence '\\q'"),
        ("has(x)", 1, 1, "has() needs a field selection, like has(x.field)"),
        ("a ? b", 1, 6, "expected ':', found end of input"),
        ("18446744073709551616u", 1, 1, "integer literal out of range"),
    ])
    func parseErrorsCarryLineAndColumn(source: String, line: Int, column: Int, message: String) throws {
        let error = try #require(throws: CELParseError.self) { try CELProgram(source) }
        #expect(error.position == CELSourcePosition(line: line, column: column))
        #expect(error.message == message)
    }
}
