import Domain
import Testing

/// `CELProgram.evaluate` tries the compiled fast path first and falls back to the tree walker;
/// `evaluate(part:)` runs the walker alone. The two must agree on every value and every error.
@Suite("CEL fast path")
struct CELFastPathTests {
    static let bindings: [String: CELValue] = [
        "txn.amount_minor": .int(950_000), "txn.kind": .string("cash"), "txn.reference": .string("INV-2026-0042"),
        "accented": .string("e\u{301}tude"), "flag": .string("🇩🇪"), "n": .int(Int64.max), "u": .uint(7), "d": .double(1.0),
        "tags": .list([.string("a"), .int(1)]), "empty": .string(""),
    ]

    static let expressions = [
        // `in` over a literal list of constants: CEL equality, numbers across types.
        #"txn.kind in ["cash", "wire"]"#, #"txn.kind in ["wire", "card"]"#, "1 in [1.0, 2u]", "u in [7, 8]", "d in [1u]",
        "txn.amount_minor in []", #"txn.kind in [1, "cash"]"#, #""e\u0301tude" in ["\u00e9tude"]"#, "missing in [1]",
        // string tests on Unicode scalars, not grapheme clusters.
        #"txn.reference.startsWith("INV")"#, #"txn.reference.endsWith("0042")"#, #"txn.reference.contains("2026-")"#,
        #"accented.startsWith("e")"#, #"accented.contains("\u0301")"#, #"accented.endsWith("tude")"#, #"flag.startsWith("🇩")"#,
        #"txn.reference.startsWith("")"#, #"empty.contains("")"#, #"empty.endsWith("x")"#, #"txn.reference.contains("INV-2026-0042-")"#,
        "txn.amount_minor.startsWith(1)", #"tags.contains("a")"#,
        // size
        "size(accented)", "size(flag)", "size(tags)", "size(b'abc')", "size(txn.amount_minor)", "size(missing)",
        // the typical rule, and errors the fast path leaves to the walker
        #"txn.amount_minor >= 900000 && txn.kind == "cash" && n + txn.amount_minor > 1000000"#,
        #"txn.reference.startsWith("INV") && txn.amount_minor > 100000"#, "n + 1 > 0", "txn.kind in [1, 2] || n + 1 > 0",
    ]

    @Test(arguments: expressions) func theFastPathAgreesWithTheWalker(_ source: String) throws {
        let program = try CELProgram(source)
        let both = Result { () throws(CELEvalError) in try program.evaluate(Self.bindings) }
        let walker = Result { () throws(CELEvalError) in try program.evaluate(part: program.expression, Self.bindings) }
        switch (both, walker) {
        case (.success(let a), .success(let b)): #expect(CELValue.celEquals(a, b) && a.type == b.type, "\(source): \(a) vs \(b)")
        case (.failure(let a), .failure(let b)): #expect(a == b, "\(source)")
        default: Issue.record("\(source): \(both) vs \(walker)")
        }
    }

    @Test func scalarsNotGraphemesDecideStringTests() throws {
        // Swift's hasPrefix compares Characters and would say false; CEL compares code points.
        #expect(try CELProgram(#"accented.startsWith("e")"#).evaluate(Self.bindings) == .bool(true))
        #expect(try CELProgram(#""e\u0301tude" in ["\u00e9tude"]"#).evaluate(Self.bindings) == .bool(false))
        #expect(try CELProgram("size(flag)").evaluate(Self.bindings) == .int(2))
    }
}
