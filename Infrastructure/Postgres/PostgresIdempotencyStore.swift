import Domain
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// `IdempotencyStore` on PostgreSQL (table `idempotency_keys`, migrations/0014). Outcomes are
/// inserted inside a record keeper's transaction (`insert`), before anything else of their change.
public struct PostgresIdempotencyStore: IdempotencyStore {
    private let client: PostgresClient
    private let usage: PoolUsage
    private let logger: Logger

    public init(client: PostgresClient, usage: PoolUsage, logger: Logger) {
        self.client = client
        self.usage = usage
        self.logger = logger
    }

    public func outcome(of key: IdempotencyKey, client clientID: ClientID, tenant: TenantID) async throws -> IdempotentOutcome? {
        try await DatabaseFailure.wrapping("read idempotency key") {
            try await usage.track {
                try await client.scoped(.tenant(tenant), logger: logger) { connection in
                    let rows = try await connection.query(
                        """
                        SELECT request_sha256, resource_type, resource_id, created_at FROM idempotency_keys
                        WHERE tenant_id = \(tenant.rawValue) AND client_id = \(clientID.rawValue) AND key_sha256 = \(ByteBuffer(bytes: key.digest))
                        """,
                        logger: logger
                    )
                    var found: IdempotentOutcome?
                    for try await (fingerprint, type, id, createdAt) in rows.decode((ByteBuffer, String, UUID, UTCTimestamp).self) {
                        let resource: IdempotentOutcome.Resource
                        switch type {
                        case "transaction": resource = .transaction(TransactionID(id))
                        case "review": resource = .review(TransactionID(id))
                        default: throw CorruptRow(table: "idempotency_keys", key: "resource_type \(type)")
                        }
                        guard fingerprint.readableBytes == SHA256.digestByteCount else {
                            throw CorruptRow(table: "idempotency_keys", key: "request_sha256")
                        }
                        let request = IdempotentRequest(tenant: tenant, client: clientID, key: key, fingerprint: Array(buffer: fingerprint))
                        found = IdempotentOutcome(request: request, resource: resource, createdAt: createdAt)
                    }
                    return found
                }
            }
        }
    }

    public func prune(createdBefore cutoff: UTCTimestamp, limit: Int) async throws -> Int {
        precondition(limit > 0, "prune at least one")
        return try await DatabaseFailure.wrapping("prune idempotency keys") {
            try await usage.track {
                try await client.scoped(.system, logger: logger) { connection in
                    let rows = try await connection.query(
                        """
                        DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
                            SELECT ctid FROM idempotency_keys WHERE created_at < \(cutoff) ORDER BY created_at LIMIT \(Int64(limit))
                        ))
                        RETURNING 1
                        """,
                        logger: logger
                    )
                    var count = 0
                    for try await _ in rows { count += 1 }
                    return count
                }
            }
        }
    }

    /// Inside the keeper's transaction. A key taken by a transaction still in flight makes this
    /// wait for it: when that one commits, this throws `IdempotencyError.keyTaken`; when it rolls
    /// back, this one takes the key.
    static func insert(_ outcome: IdempotentOutcome, on connection: PostgresConnection, logger: Logger) async throws {
        let (type, id): (String, TransactionID) = switch outcome.resource {
        case .transaction(let id): ("transaction", id)
        case .review(let id): ("review", id)
        }
        let request = outcome.request
        let rows = try await connection.query(
            """
            INSERT INTO idempotency_keys (tenant_id, client_id, key_sha256, request_sha256, resource_type, resource_id, created_at)
            VALUES (\(request.tenant.rawValue), \(request.client.rawValue), \(ByteBuffer(bytes: request.key.digest)),
                    \(ByteBuffer(bytes: request.fingerprint)), \(type), \(id.rawValue), \(outcome.createdAt))
            ON CONFLICT (tenant_id, client_id, key_sha256) DO NOTHING
            RETURNING 1
            """,
            logger: logger
        )
        var inserted = false
        for try await _ in rows { inserted = true }
        if !inserted { throw IdempotencyError.keyTaken }
    }
}
