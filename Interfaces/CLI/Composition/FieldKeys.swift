import Domain
import Foundation
import Logging
import PostgresAdapters
import SodiumAdapters

/// The field-encryption root key and what is built on it (docs/encryption.md §3): from
/// `CUSTOS_ROOT_KEY_FILE` or `CUSTOS_ROOT_KEY`; unset, the documented development key, which
/// production refuses, as it refuses that key given explicitly.
enum FieldKeys {
    static func rootKey(for configuration: Configuration) throws -> RootKey {
        let key: RootKey
        let variable: String
        if let path = configuration.rootKeyFile {
            variable = "CUSTOS_ROOT_KEY_FILE"
            do { key = try RootKey.load(file: path) } catch {
                throw Configuration.Invalid(variable: variable, reason: "cannot be used: \(error)")
            }
        } else if let secret = configuration.rootKeySecret {
            variable = "CUSTOS_ROOT_KEY"
            do { key = try RootKey(hex: secret.value) } catch {
                throw Configuration.Invalid(variable: variable, reason: "must be 64 hexadecimal digits (32 bytes)")
            }
        } else {
            guard configuration.environment == .development else {
                throw Configuration.Invalid(
                    variable: "CUSTOS_ROOT_KEY_FILE", reason: "or CUSTOS_ROOT_KEY must be set when CUSTOS_ENVIRONMENT=production"
                )
            }
            return RootKey.development
        }
        if configuration.environment == .production && key.isDevelopment {
            throw Configuration.Invalid(variable: variable, reason: "holds the documented development key, which production refuses")
        }
        return key
    }

    /// The core's field protection over libsodium and the given stores.
    static func protection(
        rootKey: RootKey, keys: any DataKeyStore, keeper: any RecordKeeper
    ) throws -> FieldProtection {
        FieldProtection(
            cipher: try SodiumFieldCipher(rootKey: rootKey), indexer: try SodiumBlindIndexer(rootKey: rootKey),
            keys: keys, keeper: keeper
        )
    }
}
