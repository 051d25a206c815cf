import Foundation
import SodiumAdapters

/// Where the audit root key comes from: `CUSTOS_AUDIT_KEY_FILE`, or in development a key file
/// in the state folder. Only `custos serve` may create that file (`create`); every other command
/// refuses to invent a key, since its verifier keys would match nothing the server signed.
/// Production never invents a key.
enum AuditKeys {
    static func keyring(for configuration: Configuration, create: Bool = false) throws -> SodiumAuditKeyring {
        if let path = configuration.auditKeyFile {
            return try SodiumAuditKeyring.load(file: path, createIfMissing: false)
        }
        guard configuration.environment == .development else {
            throw Configuration.Invalid(variable: "CUSTOS_AUDIT_KEY_FILE", reason: "must be set when CUSTOS_ENVIRONMENT=production")
        }
        try FileManager.default.createDirectory(
            at: configuration.stateURL, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711]
        )
        return try SodiumAuditKeyring.load(
            file: configuration.stateURL.appendingPathComponent("audit-root.key").path, createIfMissing: create
        )
    }
}
