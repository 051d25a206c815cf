import Domain
import FileAdapters
import Foundation
import SodiumAdapters
import Testing
import TestSupport

/// An export written to disk, signed with real Ed25519, read back and verified; then tampered
/// with on disk. The same files `custos audit verify --export` reads.
@Suite final class AuditExportTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("custos-export-\(UUID().uuidString)")
    deinit { try? FileManager.default.removeItem(at: root) }

    func folder() -> URL { root.appendingPathComponent(UUID().uuidString) }

    func verify(_ export: SignedExport) throws -> AuditVerificationReport {
        AuditLogVerifier(trustedKeys: [export.signer.verifierKey], signatureVerifier: try SodiumSignatureVerifier())
            .verify(DirectoryAuditLogSource(directory: export.directory))
    }

    @Test func aWrittenExportVerifiesAndATamperedOneDoesNot() throws {
        let export = try SignedExport(count: 300, in: folder())
        for path in ["checkpoint", "tile/entries/000", "tile/entries/001.p/44", "tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1"] {
            #expect(FileManager.default.fileExists(atPath: export.directory.appendingPathComponent(path).path), "\(path)")
        }
        let report = try verify(export)
        #expect(report.verified, "\(report.failure.map(\.description) ?? "")")
        try export.flipPayloadBit(ofEntry: 7)
        #expect(try verify(export).failure?.index == 7)
    }

    @Test func theWriterRefusesAFolderThatHoldsFiles() throws {
        let export = try SignedExport(count: 3, in: folder())
        #expect(throws: DirectoryExportWriter.Refused.self) { try DirectoryExportWriter(directory: export.directory).write([]) }
    }

    @Test func aMissingBundleIsNamed() throws {
        let export = try SignedExport(count: 300, in: folder())
        try FileManager.default.removeItem(at: export.directory.appendingPathComponent("tile/entries/001.p/44"))
        let failure = try verify(export).failure
        #expect(failure?.index == 256)
        #expect(failure?.reason.contains("tile/entries/001.p/44") == true)
    }
}
