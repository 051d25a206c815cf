import Domain
import Foundation

/// The cel-spec conformance runner behind `custos policy conformance` and its test: reads cases in
/// protobuf's JSON mapping (`../shared/conformance/cel/*.json`, docs/cel.md), skips the cases that
/// need protobuf messages by rule and those listed in the skip file by name (each with a reason),
/// and runs the rest against the CEL subset.
public enum CELConformance {
    public struct Case: Sendable {
        public let id: String
        public let expression: String
        public let bindings: [String: CELValue]
        /// nil when an evaluation error is expected.
        public let expected: CELValue?
        public let needsProtobuf: Bool
    }

    public struct Report: Sendable {
        public var passed = 0
        public var failed = 0
        public var skippedByRule = 0
        public var skippedByFile = 0
        /// `id: what went wrong`, one per failed case.
        public var failures: [String] = []
        /// Skip-file entries that matched no case of the files run.
        public var unusedSkips: [String] = []

        public var skipped: Int { skippedByRule + skippedByFile }
        /// `N passed, M failed, K skipped`, as the issue asks the command to print.
        public var summary: String { "\(passed) passed, \(failed) failed, \(skipped) skipped" }
    }

    /// A conformance file or the skip file is unreadable or not in the expected shape.
    public struct Unreadable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The largest conformance file read (the largest cel-spec file is about 300 KiB).
    public static let fileBytesMax = 16 * 1_048_576

    /// Runs every case of `files`; `skips` maps a case id (`file/section/name`) to its reason.
    public static func run(files: [String], skips: [String: String]) throws -> Report {
        var report = Report()
        var used: Set<String> = []
        for file in files {
            for testCase in try cases(in: file) {
                if testCase.needsProtobuf {
                    report.skippedByRule += 1
                } else if skips[testCase.id] != nil {
                    report.skippedByFile += 1
                    used.insert(testCase.id)
                } else if let problem = run(testCase) {
                    report.failed += 1
                    report.failures.append("\(testCase.id): \(problem)")
                } else {
                    report.passed += 1
                }
            }
        }
        report.unusedSkips = Set(skips.keys).subtracting(used).sorted()
        return report
    }

    /// nil when the case passes, otherwise what went wrong.
    public static func run(_ testCase: Case) -> String? {
        let program: CELProgram
        do {
            program = try CELProgram(testCase.expression)
        } catch {
            return testCase.expected == nil ? nil : "parse error \(error)"
        }
        do {
            let value = try program.evaluate(testCase.bindings)
            guard let expected = testCase.expected else { return "expected an error, got \(value)" }
            return same(value, expected) ? nil : "expected \(expected), got \(value)"
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

    /// The skip file: `file/section/name<TAB>reason` a line, `#` comments. A line without a reason
    /// is an error: every skip is justified.
    public static func skips(in file: String) throws -> [String: String] {
        var skips: [String: String] = [:]
        let text = String(decoding: try bytes(of: file), as: UTF8.self)
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.hasPrefix("#") && !line.isEmpty {
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2, !parts[1].trimmingCharacters(in: .whitespaces).isEmpty else {
                throw Unreadable(description: "\(file):\(number + 1):1: a skip needs a case id, a tab and a reason")
            }
            skips[String(parts[0])] = String(parts[1])
        }
        return skips
    }

    /// The bytes of a file given on the command line, or one line saying why not.
    private static func bytes(of file: String) throws -> [UInt8] {
        switch BundleFiles.read(file, bytesMax: fileBytesMax) {
        case .success(let bytes): return bytes
        case .failure(let problem): throw Unreadable(description: "\(file): \(problem.reason)")
        }
    }

    public static func cases(in file: String) throws -> [Case] {
        let url = URL(fileURLWithPath: file)
        let json = try bytes(of: file)
        let root = try need(try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any], "\(file): a JSON object")
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
                    bindings[key] = try convert(need(value, "\(file): binding \(key) of \(name)"))
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
        guard let value else { throw Unreadable(description: "missing or malformed: \(what())") }
        return value
    }

    /// A value in protobuf's JSON mapping (`{"int64_value": "1"}`) as a `CELValue`.
    static func convert(_ json: Any) throws -> CELValue {
        guard let object = json as? [String: Any], let (kind, payload) = object.first else {
            throw Unreadable(description: "not a value: \(type(of: json))")
        }
        switch kind {
        case "null_value": return .null
        case "bool_value": return .bool(try need(payload as? Bool))
        case "int64_value": return .int(try need(Int64(try need(payload as? String))))
        case "uint64_value": return .uint(try need(UInt64(try need(payload as? String))))
        case "string_value": return .string(try need(payload as? String))
        case "bytes_value": return .bytes(Array(try need(Data(base64Encoded: try need(payload as? String)))))
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
        default: throw Unreadable(description: "value kind \(kind)")
        }
    }
}
