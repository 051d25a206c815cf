import Domain
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// `PolicyBundleStore` on PostgreSQL (tables `policy_bundles`, `policy_activations`,
/// migrations/0012). Activations are written by the record keepers (`insert`), inside the
/// transaction that appends their audit entry; both tables are insert-only.
public struct PostgresPolicyBundleStore: PolicyBundleStore {
    private let client: PostgresClient
    private let usage: PoolUsage
    private let logger: Logger

    public init(client: PostgresClient, usage: PoolUsage, logger: Logger) {
        self.client = client
        self.usage = usage
        self.logger = logger
    }

    public func activeActivation() async throws -> PolicyActivation? {
        try await DatabaseFailure.wrapping("read policy activation") {
            try await usage.track {
                let rows = try await client.query(
                    "SELECT hash, activated_at, actor FROM policy_activations ORDER BY seq DESC LIMIT 1", logger: logger
                )
                var found: PolicyActivation?
                for try await (hash, at, actor) in rows.decode((String, UTCTimestamp, String).self) {
                    found = PolicyActivation(hash: hash, activatedAt: at, actor: actor)
                }
                return found
            }
        }
    }

    public func bundle(hash: String) async throws -> (StoredPolicyBundle, PolicyBundle)? {
        let content = try await DatabaseFailure.wrapping("read policy bundle") {
            try await usage.track {
                let rows = try await client.query("SELECT content FROM policy_bundles WHERE hash = \(hash)", logger: logger)
                var found: ByteBuffer?
                for try await buffer in rows.decode(ByteBuffer.self) { found = buffer }
                return found
            }
        }
        guard let content else { return nil }
        return try StoredPolicyBundle.restored(hash: hash, content: Array(buffer: content))
    }

    /// Inside a record keeper's transaction: the bundle (unless stored already), then its activation.
    static func insert(_ stored: StoredPolicyBundle, _ activation: PolicyActivation, on connection: PostgresConnection, logger: Logger) async throws {
        precondition(stored.hash == activation.hash, "an activation names the bundle it stores")
        try await connection.query(
            """
            INSERT INTO policy_bundles (hash, content) VALUES (\(stored.hash), \(ByteBuffer(bytes: stored.content)))
            ON CONFLICT (hash) DO NOTHING
            """,
            logger: logger
        )
        try await connection.query(
            """
            INSERT INTO policy_activations (hash, activated_at, actor)
            VALUES (\(activation.hash), \(activation.activatedAt), \(activation.actor))
            """,
            logger: logger
        )
    }
}
