import Domain
import Foundation
import Testing

/// RFC 8785 vectors from cyberphone/json-canonicalization (`jcs/input`, `jcs/output`).
///
/// Custos payloads hold integers only, so each vector is in exactly one of two lists, derived by
/// reading the files. A file that moves from one list to the other, or a new file, fails the run.
@Suite("CanonicalJSON: RFC 8785 conformance vectors")
struct CanonicalJSONConformanceTests {
    /// Inputs inside the restriction: canonicalising them must give `output/X.json` byte for byte.
    static let canonicalised = ["arrays.json", "french.json", "unicode.json"]

    /// Inputs holding numbers outside the restriction: the parser must refuse them because of a number.
    /// - `structures.json`: `56.0` has a fraction (JCS writes it as `56`; we take no fractions at all).
    /// - `values.json`: `333333333.33333329`, `1E30`, `4.50`, `2e-3`, `0.000000000000000000000000001`
    ///   need ES6 double formatting.
    static let rejectedForNumbers = ["structures.json", "values.json"]

    /// Expected outputs that are themselves outside the restriction (`values.json` holds doubles).
    static let outputsRejectedForNumbers = ["values.json"]

    static func bytes(_ folder: String, _ name: String) throws -> [UInt8] {
        let url = try Conformance.folder("jcs").appendingPathComponent(folder).appendingPathComponent(name)
        return Array(try Data(contentsOf: url))
    }

    @Test("every input file is listed exactly once")
    func inputsAreAllClassified() throws {
        let folder = try Conformance.folder("jcs")
        let inputs = try Conformance.files(in: folder.appendingPathComponent("input"), withExtension: "json")
        let outputs = try Conformance.files(in: folder.appendingPathComponent("output"), withExtension: "json")
        #expect(inputs.count > 0)
        let inputNames = inputs.map(\.lastPathComponent).sorted()
        #expect(inputNames == (Self.canonicalised + Self.rejectedForNumbers).sorted())
        #expect(outputs.map(\.lastPathComponent).sorted() == inputNames)
        #expect(Set(Self.canonicalised).isDisjoint(with: Self.rejectedForNumbers))
    }

    @Test("canonicalising the input gives the expected output", arguments: canonicalised)
    func canonicalises(name: String) throws {
        let input = try Self.bytes("input", name)
        let expected = try Self.bytes("output", name)
        #expect(expected.count > 0 && expected.last != UInt8(ascii: "\n"))
        let actual = try CanonicalJSON.canonicalize(input)
        #expect(
            actual == expected,
            "\(name): got \(String(decoding: actual, as: UTF8.self)), want \(String(decoding: expected, as: UTF8.self))"
        )
        #expect(CanonicalJSON.isCanonical(expected))
    }

    @Test("input with numbers outside the restriction is refused", arguments: rejectedForNumbers)
    func rejectsNumbers(name: String) throws {
        let input = try Self.bytes("input", name)
        let error = #expect(throws: CanonicalJSONError.self) { try CanonicalJSON.parse(input) }
        guard let error else { return }
        #expect(error.kind == .numberNotInteger || error.kind == .numberOutOfRange, "\(name): \(error)")
        #expect(error.reason.contains("number"), "\(name): \(error)")
    }

    @Test("expected outputs are canonical, or refused for their numbers")
    func outputsAreCanonicalOrRefused() throws {
        for name in Self.canonicalised + Self.rejectedForNumbers {
            let output = try Self.bytes("output", name)
            if Self.outputsRejectedForNumbers.contains(name) {
                let error = #expect(throws: CanonicalJSONError.self) { try CanonicalJSON.parse(output) }
                #expect(error?.kind == .numberNotInteger, "\(name)")
            } else {
                #expect(CanonicalJSON.isCanonical(output), "\(name)")
            }
        }
    }

    /// `values.json` as a whole is out of reach, but its string and literals are not: quoted here as
    /// known answers (input and expected output of that vector).
    @Test("the string and literals of values.json")
    func valuesStringAndLiterals() throws {
        let input = #"{"string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}"#
        let expected = #"{"literals":[null,true,false],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        #expect(try CanonicalJSON.canonicalize(Array(input.utf8)) == Array(expected.utf8))
    }
}
