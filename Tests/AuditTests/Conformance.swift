import Foundation
import Testing

/// Public conformance data that nobody on this project wrote (`../shared/conformance` beside the
/// repository, or `CUSTOS_CONFORMANCE_DIR`). It is read in place, never copied into the repository.
/// When it is missing the tests fail with a message saying where it was looked for: a claim of
/// conformance that was not checked must not pass.
enum Conformance {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["CUSTOS_CONFORMANCE_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/conformance")
    }

    /// The folder `name` inside the conformance data; records a clear failure when it is absent.
    static func folder(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
        let url = directory.appendingPathComponent(name)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            Issue.record(
                "conformance data not found at \(url.path); set CUSTOS_CONFORMANCE_DIR to the shared/conformance folder",
                sourceLocation: sourceLocation
            )
            throw Missing()
        }
        return url
    }

    /// Every regular file below `folder`, sorted by path.
    static func files(in folder: URL, withExtension ext: String) throws -> [URL] {
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        var result: [URL] = []
        while let url = enumerator?.nextObject() as? URL {
            if url.pathExtension == ext { result.append(url) }
        }
        return result.sorted { $0.path < $1.path }
    }

    struct Missing: Error {}
}
