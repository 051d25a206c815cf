import CryptoAdapters
import Domain
import FileAdapters
import Foundation
import SodiumAdapters
import Testing
import TestSupport

/// swift-crypto's SHA-256 behind the core's hashing port must give the core's own digests, and a
/// verification with it the same report.
@Suite struct SwiftCryptoSHA256Tests {
    @Test func agreesWithThePortableSHA256OnEveryLengthAndPrefix() {
        var state: UInt64 = 0x5EED
        func nextByte() -> UInt8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        for length in Array(0...300) + [1_000, 4_096, 65_535] {
            let message = (0..<length).map { _ in nextByte() }
            let prefix = nextByte()
            let native = message.withUnsafeBytes { SwiftCryptoSHA256().digest(prefix: prefix, $0) }
            let portable = message.withUnsafeBytes { PortableSHA256().digest(prefix: prefix, $0) }
            #expect(native == portable, "length \(length)")
            #expect(native.bytes == SHA256.hash([prefix] + message), "length \(length)")
        }
    }

    @Test func anExportVerifiesAlikeWithEitherHasher() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("custos-hashers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let export = try SignedExport(count: 700, in: directory)
        func verify(_ hasher: any SHA256Hashing) throws -> AuditVerificationReport {
            try AuditLogVerifier(trustedKeys: [export.signer.verifierKey], signatureVerifier: SodiumSignatureVerifier(), hasher: hasher)
                .verify(DirectoryAuditLogSource(directory: export.directory))
        }
        let native = try verify(SwiftCryptoSHA256())
        #expect(native.verified)
        #expect(native == (try verify(PortableSHA256())))
    }
}
