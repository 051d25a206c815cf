import Domain
@testable import PolicyAdapters
import Testing

/// The place of every character of a scalar's value, in every style, maps back to where that
/// character (or the escape that stands for it) is written: so any position a CEL error may
/// name, today's parser's or the coming checker's, lands on its token.
@Suite("Scalar source map")
struct ScalarSourceMapTests {
    static let documents = [
        "k: txn.kind == \"cash\" && txn.amount_minor > 5\n",
        "k: txn.kind == \"cash\"\n  &&   txn.amount_minor > 5\n\n  || false\n",
        "k: 'it''s ''cash'' \n   and more'\n",
        "k: \"tab\\there \\\"q\\\" \\u00e9\\x41\\U0001F600 \\\n   joined \\\\ end\"\n",
        "k: |\n  first line\n    indented more\n\n  after a blank\n",
        "k: >-\n  folded one\n  folded two\n\n    kept indented\n  last\n",
        "- {k: [a, \"b c\"], x: plain in flow}\n",
        "k:   \t  spaced  # comment\n",
    ]

    @Test(arguments: documents) func everyCharacterMapsToItself(_ yaml: String) throws {
        let source = try SourceText(file: "t.yaml", bytes: Array(yaml.utf8))
        var scalars: [YAMLScalar] = []
        collect(try YAMLReader.read(source), into: &scalars)
        #expect(!scalars.isEmpty)
        for scalar in scalars {
            let value = Array(scalar.text.unicodeScalars)
            var previous: TextPosition?
            var line = 1
            var column = 1
            for character in value {
                defer {
                    if character == "\n" { line += 1; column = 1 } else { column += 1 }
                }
                guard character != " " && character != "\n" else { continue }
                let place = CELSourcePosition(line: line, column: column)
                let mapped = try #require(ScalarSourceMap.position(of: place, in: scalar, source: source), "\(scalar.text.debugDescription) at \(place)")
                let written = source.scalar(at: mapped)
                let escape: Unicode.Scalar = scalar.style == .doubleQuoted ? "\\" : scalar.style == .singleQuoted && character == "'" ? "'" : character
                #expect(written == character || written == escape, "\(scalar.text.debugDescription) at \(place) → \(mapped)")
                if let previous { #expect(previous < mapped) }
                previous = mapped
            }
        }
    }

    private func collect(_ node: YAMLNode, into scalars: inout [YAMLScalar]) {
        switch node {
        case .scalar(let scalar): scalars.append(scalar)
        case .sequence(let elements, _): for element in elements { collect(element, into: &scalars) }
        case .mapping(let pairs, _):
            for pair in pairs {
                scalars.append(pair.key)
                collect(pair.value, into: &scalars)
            }
        }
    }

    @Test func aScalarThatDoesNotMatchItsFileGivesNil() throws {
        let source = try SourceText(file: "t.yaml", bytes: Array("k: abc\n".utf8))
        let wrong = YAMLScalar(text: "xyz", style: .plain, position: TextPosition(line: 1, column: 4))
        #expect(ScalarSourceMap.position(of: CELSourcePosition(line: 1, column: 2), in: wrong, source: source) == nil)
    }
}
