@testable import CustosCLI
import CryptoAdapters
import Domain
import Foundation
import Synchronization
import SodiumAdapters
import Testing
import TestSupport

/// Configuration and composition rules of the `custos` command.
@Suite struct ConfigurationTests {
    @Test func defaultsWhenNothingIsSet() throws {
        let configuration = try Configuration.fromEnvironment([:])
        #expect(configuration.databaseURL == nil)
        #expect(configuration.httpHost == "127.0.0.1")
        #expect(configuration.httpPort == 8080)
        #expect(configuration.bodyBytesMax == 1 << 20)
        #expect(configuration.migrationsDirectory == "migrations")
        #expect(configuration.environment == .development)
    }

    @Test func readsEveryVariable() throws {
        let configuration = try Configuration.fromEnvironment([
            "DATABASE_URL": "postgres://u@h/d", "CUSTOS_HTTP_HOST": "0.0.0.0", "CUSTOS_HTTP_PORT": "9090",
            "CUSTOS_BODY_BYTES_MAX": "4096", "CUSTOS_DB_CONNECTIONS_MAX": "7", "CUSTOS_MIGRATIONS_DIR": "/srv/m",
            "CUSTOS_STATE_DIR": "/var/lib/custos", "CUSTOS_LOG_LEVEL": "debug", "CUSTOS_LOG_FORMAT": "text",
            "CUSTOS_ENVIRONMENT": "production",
        ])
        #expect(configuration.databaseURL == "postgres://u@h/d")
        #expect(configuration.httpHost == "0.0.0.0")
        #expect(configuration.httpPort == 9090)
        #expect(configuration.bodyBytesMax == 4096)
        #expect(configuration.databaseConnectionsMax == 7)
        #expect(configuration.migrationsDirectory == "/srv/m")
        #expect(configuration.stateDirectory == "/var/lib/custos")
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .text)
        #expect(configuration.environment == .production)
    }

    @Test(arguments: [
        ("CUSTOS_HTTP_PORT", "0"), ("CUSTOS_HTTP_PORT", "eighty"), ("CUSTOS_BODY_BYTES_MAX", "10"),
        ("CUSTOS_BODY_BYTES_MAX", "999999999999"), ("CUSTOS_DB_CONNECTIONS_MAX", "0"), ("CUSTOS_LOG_LEVEL", "loud"),
        ("CUSTOS_LOG_FORMAT", "xml"), ("CUSTOS_ENVIRONMENT", "staging"),
    ])
    func refusesOutOfRangeValuesNamingTheVariable(variable: String, value: String) {
        let error = #expect(throws: Configuration.Invalid.self) { try Configuration.fromEnvironment([variable: value]) }
        #expect(error?.variable == variable)
        #expect(error?.description.hasPrefix(variable) == true)
    }

    @Test func anExternalIssuerNeedsAllThreeSettingsAndAUsableJWKS() throws {
        let partial = #expect(throws: Configuration.Invalid.self) {
            try Configuration.fromEnvironment(["CUSTOS_OIDC_ISSUER": "https://idp.example", "CUSTOS_OIDC_AUDIENCE": "custos-api"])
        }
        #expect(partial?.variable == "CUSTOS_OIDC_ISSUER")
        let same = #expect(throws: Configuration.Invalid.self) {
            try Configuration.fromEnvironment(["CUSTOS_OIDC_ISSUER": "custos", "CUSTOS_OIDC_AUDIENCE": "a", "CUSTOS_OIDC_JWKS_FILE": "/x"])
        }
        #expect(same?.reason.contains("differ") == true)
        #expect(try ExternalIssuerSetup.load(Configuration.fromEnvironment([:])) == nil)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("custos-jwks-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func load(_ text: String?) throws -> (ExternalIssuer, SwiftCryptoExternalVerifier)? {
            let file = folder.appendingPathComponent("jwks.json")
            if let text { try Data(text.utf8).write(to: file) } else { try? FileManager.default.removeItem(at: file) }
            return try ExternalIssuerSetup.load(Configuration.fromEnvironment([
                "CUSTOS_OIDC_ISSUER": "https://idp.example", "CUSTOS_OIDC_AUDIENCE": "custos-api", "CUSTOS_OIDC_JWKS_FILE": file.path,
                "CUSTOS_OIDC_TENANT_CLAIM": "custos_tenant",
            ]))
        }
        let key = Base64URL.encode([UInt8](repeating: 7, count: 32))
        let loaded = try #require(try load(#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"\#(key)"}]}"#))
        #expect(loaded.0.keys.map(\.keyID) == ["k1"] && loaded.0.tenantClaim == "custos_tenant")
        for bad in [nil, "{}", String(repeating: " ", count: ExternalIssuer.jwksBytesMax + 1)] {
            let error = #expect(throws: Configuration.Invalid.self) { _ = try load(bad) }
            #expect(error?.variable == "CUSTOS_OIDC_JWKS_FILE")
        }
    }

    @Test func productionNeverFallsBackToALocalCluster() throws {
        var configuration = try Configuration.fromEnvironment(["CUSTOS_ENVIRONMENT": "production"])
        configuration.stateDirectory = "/nonexistent/never-created"
        let error = #expect(throws: Configuration.Invalid.self) { try DatabaseLocator.url(for: configuration) }
        #expect(error?.variable == "DATABASE_URL")
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent/never-created"))
    }
}

@Suite struct ReadinessTimeLimitTests {
    /// The answer comes at the limit even when the operation ignores cancellation: the stuck
    /// operation below can only finish after `firstOf` has returned (the test releases it then),
    /// so a `firstOf` that waited for it would hang until the time limit fails the test.
    @Test(.timeLimit(.minutes(1)))
    func answersAtTheLimitWithoutWaitingForAStuckOperation() async {
        let gate = Gate()
        let value = await firstOf({ await gate.wait(); return "stuck" }, orAfter: .milliseconds(50), "timed out")
        #expect(value == "timed out")
        gate.open()
    }

    @Test func aFastOperationWins() async {
        #expect(await firstOf({ "fast" }, orAfter: .seconds(5), "timed out") == "fast")
    }
}

/// `custos audit verify` and `verify-proof` as an auditor runs them, on real signed exports.
@Suite final class AuditCommandTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("custos-cli-\(UUID().uuidString)")
    deinit { try? FileManager.default.removeItem(at: root) }

    func export(count: Int) throws -> SignedExport {
        try SignedExport(count: count, in: root.appendingPathComponent(UUID().uuidString))
    }

    @Test func verifyPassesOnAnIntactExportAndNamesTheFirstBadEntry() async throws {
        let export = try export(count: 40)
        let arguments = ["--export", export.directory.path, "--key", export.signer.verifierKey.description]
        try await AuditCommand.Verify.parse(arguments).run()
        try export.flipPayloadBit(ofEntry: 12)
        let error = await #expect(throws: VerificationFailed.self) { try await AuditCommand.Verify.parse(arguments + ["--json"]).run() }
        #expect(error?.description.contains("entry 12") == true)
    }

    @Test func verifyNeedsAKnownKey() async throws {
        let export = try export(count: 3)
        let stranger = try SodiumNoteSigner(name: SignedExport.origin, seed: [UInt8](repeating: 9, count: 32))
        let error = await #expect(throws: VerificationFailed.self) {
            try await AuditCommand.Verify.parse(["--export", export.directory.path, "--key", stranger.verifierKey.description]).run()
        }
        #expect(error?.description.contains("no signature by a trusted key") == true)
        await #expect(throws: (any Error).self) { try await AuditCommand.Verify.parse(["--export", export.directory.path]).run() }
    }

    @Test func verifyProofAcceptsTheEntryAndRejectsAnother() throws {
        let export = try export(count: 50)
        let proofFile = root.appendingPathComponent("entry.tlog-proof")
        try Array(try export.proof(ofEntry: 21).encoded.utf8).withUnsafeBufferPointer { try Data(buffer: $0).write(to: proofFile) }
        let leafFile = root.appendingPathComponent("entry.bin")
        try Data(export.entries[21]).write(to: leafFile)
        let key = export.signer.verifierKey.description
        try AuditCommand.VerifyProof.parse([proofFile.path, "--key", key, "--leaf", leafFile.path]).run()
        let otherHash = Data(MerkleTree.leafHash(export.entries[22])).base64EncodedString()
        #expect(throws: VerificationFailed.self) {
            try AuditCommand.VerifyProof.parse([proofFile.path, "--key", key, "--leaf-hash", otherHash]).run()
        }
    }
}

/// A one-shot latch that ignores task cancellation.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }
}

/// The audit root key: only the server creates it, atomically at mode 0600, and a key file
/// that group or others can read is refused.
@Suite final class AuditKeyFileTests {
    let state = FileManager.default.temporaryDirectory.appendingPathComponent("custos-keys-\(UUID().uuidString)")
    deinit { try? FileManager.default.removeItem(at: state) }

    func configuration() throws -> Configuration {
        var configuration = try Configuration.fromEnvironment([:])
        configuration.stateDirectory = state.path
        return configuration
    }

    @Test func onlyTheServerCreatesTheKeyAndOthersReuseIt() throws {
        #expect(throws: SodiumAuditKeyring.Failure.self) { try AuditKeys.keyring(for: try configuration()) }
        let created = try AuditKeys.keyring(for: try configuration(), create: true)
        let path = state.appendingPathComponent("audit-root.key").path
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let reused = try AuditKeys.keyring(for: try configuration())
        let origin = "custos.localhost/audit/x"
        #expect(try reused.verifierKey(origin: origin, version: 1) == created.verifierKey(origin: origin, version: 1))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let error = #expect(throws: SodiumAuditKeyring.Failure.self) { try AuditKeys.keyring(for: try configuration()) }
        #expect(error?.description.contains("chmod 600") == true)
    }

    @Test func productionNeedsAKeyFile() throws {
        var production = try configuration()
        production.environment = .production
        #expect(throws: Configuration.Invalid.self) { try AuditKeys.keyring(for: production, create: true) }
    }
}
