import ArgumentParser
import CryptoAdapters
import Domain
import FileAdapters
import Foundation
import SodiumAdapters

/// `custos audit …`: offline verification of audit logs and proofs (docs/audit-log.md §6–§8).
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Export audit logs, print their verifier keys, and verify logs and proofs.",
        subcommands: [Key.self, RotateKey.self, Export.self, Verify.self, Proof.self, VerifyProof.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute everything from the raw bytes of an export; exit 0 only when every check holds."
        )

        @Option(name: .long, help: "A tlog-tiles export folder (custos audit export).")
        var export: String?

        @Option(name: .long, help: "Verify a tenant's log straight from the database instead of an export.")
        var tenant: String?

        @OptionGroup var options: DatabaseOptions

        @Option(name: .long, help: "A trusted verifier key (name+keyid+key); repeat for rotations.")
        var key: [String]

        @Option(name: .long, help: "The origin the log must have (default: with --tenant, that tenant's log).")
        var origin: String?

        @Option(name: .long, help: "A signed checkpoint seen earlier: the log must be consistent with it.")
        var trustedCheckpoint: String?

        @Flag(name: .long, help: "Print the report as JSON.")
        var json = false

        func run() async throws {
            let keys = try key.map { text throws in
                do { return try NoteVerifierKey(parsing: text) } catch { throw ValidationError("--key: \(error)") }
            }
            guard !keys.isEmpty else { throw ValidationError("give at least one --key") }
            let source: any AuditLogSource
            switch (export, tenant) {
            case (let path?, nil):
                source = DirectoryAuditLogSource(directory: URL(fileURLWithPath: path))
            case (nil, let raw?):
                guard let id = TenantID(string: raw) else { throw ValidationError("--tenant must be a UUID") }
                source = ExportFilesSource(
                    try await StoredLogExport.make(scope: .tenant(id), configuration: try options.configuration(), signFirst: false).files
                )
            default:
                throw ValidationError("give exactly one of --export and --tenant")
            }
            let trusted = try trustedCheckpoint.map { path throws in
                guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 16 else {
                    throw ValidationError("--trusted-checkpoint: cannot read \(path)")
                }
                return String(decoding: data, as: UTF8.self)
            }
            let expectedOrigin = try origin ?? tenant.flatMap(TenantID.init(string:)).map {
                try options.configuration().auditOrigins.origin(of: .tenant($0))
            }
            let verifier = AuditLogVerifier(
                trustedKeys: keys, signatureVerifier: try SodiumSignatureVerifier(), expectedOrigin: expectedOrigin,
                trustedCheckpointNote: trusted, hasher: SwiftCryptoSHA256()
            )
            let start = ContinuousClock.now
            let report = verifier.verify(source)
            let seconds = (ContinuousClock.now - start).inSeconds
            print(json ? VerificationOutput.json(report, seconds: seconds) : VerificationOutput.text(report, seconds: seconds))
            if let failure = report.failure { throw VerificationFailed(reason: failure.description) }
        }
    }

    struct VerifyProof: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-proof", abstract: "Verify a C2SP tlog-proof file from any log."
        )

        @Argument(help: "The .tlog-proof file.")
        var file: String

        @Option(name: .long, help: "A trusted verifier key of the log (name+keyid+key); repeatable.")
        var key: [String]

        @Option(name: .long, help: "The entry's bytes, in a file (its leaf hash is computed).")
        var leaf: String?

        @Option(name: .long, help: "The entry's RFC 6962 leaf hash, base64.")
        var leafHash: String?

        func run() throws {
            let keys = try key.map { text throws in
                do { return try NoteVerifierKey(parsing: text) } catch { throw ValidationError("--key: \(error)") }
            }
            guard !keys.isEmpty else { throw ValidationError("give at least one --key") }
            let hash: [UInt8]
            switch (leaf, leafHash) {
            case (let path?, nil):
                guard let data = FileManager.default.contents(atPath: path), data.count <= AuditLeaf.encodedBytesMax else {
                    throw ValidationError("--leaf: cannot read \(path) (at most 65,535 bytes)")
                }
                hash = MerkleTree.leafHash(Array(data))
            case (nil, let text?):
                guard let data = Data(base64Encoded: text), data.count == MerkleTree.hashByteCount else {
                    throw ValidationError("--leaf-hash must be base64 of 32 bytes")
                }
                hash = Array(data)
            default:
                throw ValidationError("give exactly one of --leaf and --leaf-hash")
            }
            guard let data = FileManager.default.contents(atPath: file), data.count <= TlogProof.bytesMax else {
                throw ValidationError("cannot read \(file)")
            }
            do {
                let proof = try TlogProof(parsing: String(decoding: data, as: UTF8.self))
                let checkpoint = try proof.verify(leafHash: hash, trusting: keys, with: try SodiumSignatureVerifier())
                print("verified: entry \(proof.index) is in \(checkpoint.origin) at size \(checkpoint.size)")
            } catch {
                throw VerificationFailed(reason: "\(error)")
            }
        }
    }
}

/// A verification that did not hold: exit status 1 with one line naming the first failure.
struct VerificationFailed: Error, CustomStringConvertible {
    let reason: String
    var description: String { "verification failed: \(reason)" }
}

enum VerificationOutput {
    static func text(_ report: AuditVerificationReport, seconds: Double) -> String {
        var lines = report.checks.map { "\($0.status.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \($0.name): \($0.detail)" }
        let megabytes = Double(report.entryBytesVerified) / 1_048_576
        let rate = seconds > 0 ? Double(report.entriesVerified) / seconds : 0
        lines.append(String(
            format: "%@: %llu entries, %.2f MiB in %.3f s (%.0f entries/s)",
            report.verified ? "verified" : "NOT verified", report.entriesVerified, megabytes, seconds, rate
        ))
        return lines.joined(separator: "\n")
    }

    static func json(_ report: AuditVerificationReport, seconds: Double) -> String {
        var object: [String: CanonicalJSON] = [
            "verified": .bool(report.verified),
            "origin": report.origin.map(CanonicalJSON.string) ?? .null,
            "size": CanonicalJSON(exactly: report.size) ?? .null,
            "entries_verified": CanonicalJSON(exactly: report.entriesVerified) ?? .null,
            "entry_bytes_verified": CanonicalJSON(exactly: report.entryBytesVerified) ?? .null,
            "duration_us": CanonicalJSON(exactly: Int64(seconds * 1_000_000)) ?? .null,
            "checks": .array(report.checks.map { check in
                .object(.init(["name": .string(check.name), "status": .string(check.status.rawValue), "detail": .string(check.detail)]))
            }),
        ]
        if let failure = report.failure {
            object["first_failure"] = .object(.init([
                "check": .string(failure.check), "reason": .string(failure.reason),
                "index": failure.index.flatMap { CanonicalJSON(exactly: $0) } ?? .null,
            ]))
        }
        return CanonicalJSON.object(.init(object)).description
    }
}
