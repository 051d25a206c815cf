import Domain
import Foundation
import PolicyAdapters
import Testing

/// A fresh folder under the system's temporary directory, holding the files a test writes.
final class Fixture {
    let folder: String

    init(_ files: [String: String] = [:]) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("custos-policy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in files { try write(name, text) }
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func path(_ name: String) -> String { folder + "/" + name }

    func write(_ name: String, _ text: String) throws {
        try write(name, bytes: Array(text.utf8))
    }

    func write(_ name: String, bytes: [UInt8]) throws {
        let path = self.path(name)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The error `PolicyFolder.load` throws (the test fails when it throws none).
    func loadError(sourceLocation: SourceLocation = #_sourceLocation) -> PolicyFileError? {
        do {
            _ = try PolicyFolder.load(folder)
            Issue.record("the bundle loaded", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    /// The error `PolicyFolder.loadTests` throws, after the bundle loads.
    func testsError(sourceLocation: SourceLocation = #_sourceLocation) throws -> PolicyFileError? {
        let loaded = try PolicyFolder.load(folder)
        do {
            _ = try PolicyFolder.loadTests(folder, for: loaded)
            Issue.record("the tests loaded", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }
}

/// A small valid policy, with `rules` in place of its rule list.
func policyYAML(id: String = "cash", rules: String = "  - id: big\n    when: txn.amount_minor >= 900000\n    score: 40\n    reason: large\n", extra: String = "") -> String {
    """
    policy: \(id)
    version: "1"
    status: active
    owner: aml-team@example.com
    inputs:
      txn.amount_minor: int
      txn.kind: string
    \(extra)rules:
    \(rules)thresholds:
      review: 30
    """
}

extension PolicyFileError {
    /// `file:line:col` with the file's name only (the folder is a fresh temporary one).
    var place: String {
        "\((location.file as NSString).lastPathComponent):\(location.line):\(location.column)"
    }
}
