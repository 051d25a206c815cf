import Domain
import Foundation
import Logging
import PostgresAdapters
import PostgresNIO
import SodiumAdapters
import SystemAdapters
import TestSupport
import Testing

/// Tampering with a stored log as a database superuser would (triggers disabled), once per way
/// of tampering; verification of the stored log must name the first bad entry or the checkpoint.
@Suite struct AuditTamperTests {
    static let origins = AuditOrigins()
    static let originA = origins.origin(of: .tenant(Fixtures.tenantA))
    static let originB = origins.origin(of: .tenant(Fixtures.tenantB))
    static let entryCount = 10

    /// Ten entries in tenant A's log and three in tenant B's, a signed checkpoint for each, then
    /// `tamper` as superuser; returns the verification of tenant A's log as stored afterwards.
    func verifyAfter(_ tamper: String) async throws -> AuditVerificationReport {
        try await TestDatabase.withDatabase { client, _ in
            let logger = Logger(label: "test")
            let keeper = PostgresRecordKeeper(
                client: client, origins: Self.origins, clock: SystemClock(), usage: PoolUsage(connectionsMax: 4), logger: logger
            )
            for n in 0..<(Self.entryCount + 3) {
                let tenant = n < Self.entryCount ? Fixtures.tenantA : Fixtures.tenantB
                _ = try await keeper.commit(recorded(Fixtures.transaction(tenant: tenant)))
            }
            let store = PostgresAuditLogStore(client: client, logger: logger)
            let keyring = try SodiumAuditKeyring(rootKey: [UInt8](repeating: 5, count: 32))
            let sign = SignCheckpoint(store: store, signer: keyring, verifier: try SodiumSignatureVerifier(), clock: SystemClock())
            try await sign(origin: Self.originA)
            try await sign(origin: Self.originB)
            try await client.query("ALTER TABLE audit_entries DISABLE TRIGGER USER", logger: logger)
            try await client.query("ALTER TABLE audit_checkpoints DISABLE TRIGGER USER", logger: logger)
            for statement in tamper.split(separator: ";") where !statement.trimmingCharacters(in: .whitespaces).isEmpty {
                try await client.query(PostgresQuery(unsafeSQL: String(statement)), logger: logger)
            }
            let exported = try await ExportLog(store: store)(origin: Self.originA)
            let source = ExportFilesSource(exported.files)
            return AuditLogVerifier(
                trustedKeys: [try keyring.verifierKey(origin: Self.originA, version: 1)], signatureVerifier: try SodiumSignatureVerifier(),
                expectedOrigin: Self.originA
            ).verify(source)
        }
    }

    @Test func theUntamperedLogVerifies() async throws {
        let report = try await verifyAfter("SELECT 1")
        #expect(report.verified, "\(report.failure.map(\.description) ?? "")")
        #expect(report.entriesVerified == UInt64(Self.entryCount))
    }

    @Test func oneChangedPayloadByte() async throws {
        // The last byte of a payload is its closing brace; change the byte before it.
        let failure = try await verifyAfter("""
            UPDATE audit_entries SET leaf = set_byte(leaf, length(leaf) - 2, get_byte(leaf, length(leaf) - 2) # 1)
            WHERE origin = '\(Self.originA)' AND idx = 3
            """).failure
        #expect(failure?.index == 3)
    }

    @Test func aDeletedEntry() async throws {
        let failure = try await verifyAfter("DELETE FROM audit_entries WHERE origin = '\(Self.originA)' AND idx = 4").failure
        #expect(failure?.index == 4)
    }

    @Test func twoSwappedEntries() async throws {
        let failure = try await verifyAfter("""
            UPDATE audit_entries SET idx = 1000000 WHERE origin = '\(Self.originA)' AND idx = 2;
            UPDATE audit_entries SET idx = 2 WHERE origin = '\(Self.originA)' AND idx = 5;
            UPDATE audit_entries SET idx = 5 WHERE origin = '\(Self.originA)' AND idx = 1000000
            """).failure
        #expect(failure?.index == 2)
    }

    @Test func aTruncatedTail() async throws {
        let failure = try await verifyAfter("DELETE FROM audit_entries WHERE origin = '\(Self.originA)' AND idx >= 7").failure
        #expect(failure?.index == 7)
    }

    /// A forged entry in place of entry 6, copied from entry 6 with another actor: linked to 5
    /// correctly, so only its successor's link exposes it.
    @Test func aForgedEntry() async throws {
        let failure = try await verifyAfter("""
            UPDATE audit_entries SET leaf = overlay(leaf placing convert_to('intruder__', 'UTF8')
                from position(convert_to('unauthenticated', 'UTF8') in leaf) for 10)
            WHERE origin = '\(Self.originA)' AND idx = 6
            """).failure
        #expect(failure?.index == 6)
    }

    @Test func anEntryMovedToAnotherTenantsLog() async throws {
        let failure = try await verifyAfter("""
            UPDATE audit_entries SET origin = '\(Self.originB)', idx = 100 WHERE origin = '\(Self.originA)' AND idx = 5
            """).failure
        #expect(failure?.index == 5)
    }

    @Test func anEntryFromAnotherTenantsLogMovedIn() async throws {
        let failure = try await verifyAfter("""
            DELETE FROM audit_entries WHERE origin = '\(Self.originA)' AND idx = 1;
            UPDATE audit_entries SET origin = '\(Self.originA)' WHERE origin = '\(Self.originB)' AND idx = 1
            """).failure
        #expect(failure?.check == "entry origin")
        #expect(failure?.index == 1)
    }

    @Test func aReplacedCheckpoint() async throws {
        // Keep the signature, claim a smaller tree: the signature no longer matches the text. (The
        // superuser drops the check that the size column is the note's, as they could.)
        let failure = try await verifyAfter("""
            ALTER TABLE audit_checkpoints DROP CONSTRAINT audit_checkpoints_size_is_the_notes;
            UPDATE audit_checkpoints SET note = regexp_replace(note, E'\\n10\\n', E'\\n9\\n') WHERE origin = '\(Self.originA)'
            """).failure
        #expect(failure?.check == "checkpoint signature")
        #expect(failure?.reason.contains("does not verify") == true)
    }

    @Test func aCheckpointReSignedWithAForeignKey() async throws {
        let foreign = try SodiumNoteSigner(name: Self.originA, seed: [UInt8](repeating: 77, count: 32))
        let forged = try foreign.signedNote(text: "\(Self.originA)\n10\n\(Data(repeating: 0, count: 32).base64EncodedString())\n")
        let failure = try await verifyAfter("""
            UPDATE audit_checkpoints SET note = '\(forged.encoded)' WHERE origin = '\(Self.originA)'
            """).failure
        #expect(failure?.reason == "no signature by a trusted key")
    }
}
