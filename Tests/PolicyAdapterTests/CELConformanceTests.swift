import Domain
import Foundation
import PolicyAdapters
import Testing

/// Runs cel-spec's conformance cases (`shared/conformance/cel`, or `$CUSTOS_CONFORMANCE_DIR/cel`)
/// through the runner of `custos policy conformance`. Cases that need protobuf messages are skipped
/// by rule; the others either pass or are listed, with a reason, in `policies/cel-conformance-skips.txt`.
@Suite struct CELConformanceTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var conformanceDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["CUSTOS_CONFORMANCE_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/conformance")
    }

    @Test func celConformance() throws {
        let folder = Self.conformanceDirectory.appendingPathComponent("cel")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            Issue.record("CEL conformance data not found at \(folder.path); set CUSTOS_CONFORMANCE_DIR to the shared/conformance folder")
            return
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
            .map { folder.appendingPathComponent($0).path }
        let skips = try CELConformance.skips(in: Self.packageRoot.appendingPathComponent("policies/cel-conformance-skips.txt").path)
        let report = try CELConformance.run(files: files, skips: skips)
        print("CEL conformance: \(report.summary) (\(report.skippedByRule) protobuf by rule, "
            + "\(report.skippedByFile) by policies/cel-conformance-skips.txt)")
        for failure in report.failures { Issue.record(Comment(rawValue: failure)) }
        #expect(report.unusedSkips.isEmpty, "skip-file entries that match no case: \(report.unusedSkips)")
        let ran = report.passed + report.failed
        #expect(ran > 0 && report.passed * 100 >= ran * 95, "at least 95% of the non-protobuf cases pass")
    }

    @Test func aSkipWithoutAReasonIsRefused() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("skips-\(UUID()).txt")
        try "# comment\nbasic/a/b\treason\nbasic/c/d\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(throws: CELConformance.Unreadable.self) { try CELConformance.skips(in: file.path) }
    }
}
