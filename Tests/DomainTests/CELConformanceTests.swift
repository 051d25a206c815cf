import Domain
import Foundation
import Testing

/// Runs cel-spec's conformance cases (`shared/conformance/cel`, or `$CUSTOS_CONFORMANCE_DIR/cel`)
/// against the CEL subset. Cases that need protobuf messages are skipped by rule; the others
/// either pass or are listed, with a reason, in `policies/cel-conformance-skips.txt`.
@Suite struct CELConformanceTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var conformanceDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["CUSTOS_CONFORMANCE_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/conformance")
    }

    struct Case {
        let id: String
        let expression: String
        let bindings: [String: CELValue]
        /// nil when an evaluation error is expected.
        let expected: CELValue?
        let needsProtobuf: Bool
    }

    @Test func celConformance() throws {
        let folder = Self.conformanceDirectory.appendingPathComponent("cel")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            Issue.record("CEL conformance data not found at \(folder.path); set CUSTOS_CONFORMANCE_DIR to the shared/conformance folder")
            return
        }
        let skips = try Self.loadSkips()
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        var passed = 0, failed = 0, skippedByRule = 0, skippedByFile = 0
        var usedSkips: Set<String> = []
        var failures: [String] = []
        for file in files {
            for testCase in try Self.loadCases(folder.appendingPathComponent(file)) {
                if testCase.needsProtobuf {
                    skippedByRule += 1
                    continue
                }
                if skips[testCase.id] != nil {
                    skippedByFile += 1
                    usedSkips.insert(testCase.id)
                    continue
                }
                if let problem = Self.run(testCase) {
                    failed += 1
                    failures.append("\(testCase.id): \(problem)")
                } else {
                    passed += 1
                }
            }
        }
        print("CEL conformance: \(passed) passed, \(failed) failed, \(skippedByRule + skippedByFile) skipped "
            + "(\(skippedByRule) protobuf by rule, \(skippedByFile) by policies/cel-conformance-skips.txt)")
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
        let stale = Set(skips.keys).subtracting(usedSkips).sorted()
        #expect(stale.isEmpty, "skip-file entries that match no case: \(stale)")
        #expect(passed > 0)
    }

    /// nil when the case passes, otherwise what went wrong.
    static func run(_ testCase: Case) -> String? {
        let program: CELProgram
        do {
            program = try CELProgram(testCase.expression)
        } catch {
            return testCase.expected == nil ? nil : "parse error \(error)"
        }
        do {
            let value = try program.evaluate(testCase.bindings)
            guard let expected = testCase.expected else { return "expected an error, got \(value)" }
            return Self.same(value, expected) ? nil : "expected \(expected), got \(value)"
        } catch {
            return testCase.expected == nil ? nil : "expected \(String(describing: testCase.expected)), got error \(error)"
        }
    }

    /// Equal values of the same type (NaN matches NaN), so `1u` does not pass for `1`.
    static func same(_ a: CELValue, _ b: CELValue) -> Bool {
        switch (a, b) {
        case (.double(let x), .double(let y)): return (x.isNaN && y.isNaN) || x == y
        case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.map(let x), .map(let y)):
            return x.count == y.count && x.entries.allSatisfy { entry in
                y.keys.contains { $0.value.type == entry.key.value.type && $0 == entry.key }
                    && y[entry.key].map { same(entry.value, $0) } == true
            }
        default: return a.type == b.type && CELValue.celEquals(a, b)
        }
    }

    // MARK: Loading

    static func loadSkips() throws -> [String: String] {
        let url = packageRoot.appendingPathComponent("policies/cel-conformance-skips.txt")
        var skips: [String: String] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2, !parts[1].trimmingCharacters(in: .whitespaces).isEmpty else {
                Issue.record("skip file line without a reason: \(line)")
                continue
            }
            skips[String(parts[0])] = String(parts[1])
        }
        return skips
    }

    static func loadCases(_ url: URL) throws -> [Case] {
        let root = try need(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], url.path)
        let fileName = url.deletingPathExtension().lastPathComponent
        var cases: [Case] = []
        for section in root["section"] as? [[String: Any]] ?? [] {
            let sectionName = section["name"] as? String ?? ""
            for test in section["test"] as? [[String: Any]] ?? [] {
                let name = test["name"] as? String ?? ""
                let expression = test["expr"] as? String ?? ""
                let needsProtobuf = test["container"] != nil || expression.contains("TestAllTypes")
                    || expression.contains("google.protobuf")
                var bindings: [String: CELValue] = [:]
                for (key, binding) in test["bindings"] as? [String: Any] ?? [:] {
                    let value = (binding as? [String: Any])?["value"]
                    bindings[key] = try convert(need(value, "binding \(key) in \(name)"))
                }
                let expected: CELValue?
                if test["eval_error"] != nil {
                    expected = nil
                } else if let value = test["value"] {
                    expected = try convert(value)
                } else {
                    expected = .bool(true)
                }
                cases.append(Case(
                    id: "\(fileName)/\(sectionName)/\(name)", expression: expression, bindings: bindings,
                    expected: expected, needsProtobuf: needsProtobuf))
            }
        }
        return cases
    }

    static func need<T>(_ value: T?, _ what: @autoclosure () -> String = "a value") throws -> T {
        guard let value else { throw Unsupported(description: "missing or malformed: \(what())") }
        return value
    }

    struct Unsupported: Error, CustomStringConvertible {
        let description: String
    }

    /// Converts a value in protobuf's JSON mapping (`{"int64_value": "1"}`) to a `CELValue`.
    static func convert(_ json: Any) throws -> CELValue {
        guard let object = json as? [String: Any], let (kind, payload) = object.first else {
            throw Unsupported(description: "not a value: \(json)")
        }
        switch kind {
        case "null_value": return .null
        case "bool_value": return .bool(try need(payload as? Bool))
        case "int64_value": return .int(try need(Int64(try need(payload as? String))))
        case "uint64_value": return .uint(try need(UInt64(try need(payload as? String))))
        case "string_value": return .string(try need(payload as? String))
        case "bytes_value":
            return .bytes(Array(try need(Data(base64Encoded: try need(payload as? String)))))
        case "double_value":
            if let text = payload as? String {
                switch text {
                case "NaN": return .double(.nan)
                case "Infinity": return .double(.infinity)
                case "-Infinity": return .double(-.infinity)
                default: return .double(try need(Double(text)))
                }
            }
            return .double(try need((payload as? NSNumber)?.doubleValue))
        case "type_value": return .type(try need(CELType(rawValue: try need(payload as? String))))
        case "list_value":
            let values = (payload as? [String: Any])?["values"] as? [Any] ?? []
            return .list(try values.map(convert))
        case "map_value":
            var map = CELMap()
            for entry in (payload as? [String: Any])?["entries"] as? [[String: Any]] ?? [] {
                let key = try need(CELMapKey(try convert(entry["key"] as Any)))
                map.insert(key, try convert(entry["value"] as Any))
            }
            return .map(map)
        default: throw Unsupported(description: "value kind \(kind)")
        }
    }
}
