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
        if try await insert([outcome], on: connection, logger: logger).isEmpty { throw IdempotencyError.keyTaken }
    }

    /// Takes back a key inserted in the same transaction, whose row was then refused.
    static func delete(_ outcome: IdempotentOutcome, on connection: PostgresConnection, logger: Logger) async throws {
        let request = outcome.request
        try await connection.query(
            """
            DELETE FROM idempotency_keys
            WHERE tenant_id = \(request.tenant.rawValue) AND client_id = \(request.client.rawValue) AND key_sha256 = \(ByteBuffer(bytes: request.key.digest))
            """,
            logger: logger
        )
    }
}

extension PostgresIdempotencyStore {
    /// Who holds a key: a row's primary key.
    struct Owner: Hashable {
        let tenant: UUID
        let client: UUID
        let key: [UInt8]

        init(_ outcome: IdempotentOutcome) {
            self.init(tenant: outcome.request.tenant.rawValue, client: outcome.request.client.rawValue, key: outcome.request.key.digest)
        }

        init(tenant: UUID, client: UUID, key: [UInt8]) {
            self.tenant = tenant
            self.client = client
            self.key = key
        }
    }

    /// A group commit's keys, in one statement inside its transaction, in key order (so two batches
    /// that share keys wait for each other in the same order and never deadlock). Returns the keys
    /// inserted; a key taken, by a committed transaction or (after waiting for it) by one that
    /// commits, is not. Each outcome names its own key: `outcomes` holds no key twice.
    static func insert(_ outcomes: [IdempotentOutcome], on connection: PostgresConnection, logger: Logger) async throws -> Set<Owner> {
        guard !outcomes.isEmpty else { return [] }
        let n = outcomes.count
        var tenants = PostgresArrayBind.uuids(capacity: n), clients = PostgresArrayBind.uuids(capacity: n)
        var keys = PostgresArrayBind.byteas(capacity: n, bytesEach: 32), requests = PostgresArrayBind.byteas(capacity: n, bytesEach: 32)
        var types = PostgresArrayBind.texts(capacity: n), ids = PostgresArrayBind.uuids(capacity: n)
        var created = PostgresArrayBind.timestamptzs(capacity: n)
        for outcome in outcomes {
            let (type, id) = outcome.resource.columns
            tenants.append(outcome.request.tenant.rawValue)
            clients.append(outcome.request.client.rawValue)
            keys.append(bytes: outcome.request.key.digest)
            requests.append(bytes: outcome.request.fingerprint)
            types.append(type)
            ids.append(id.rawValue)
            created.append(outcome.createdAt)
        }
        var bindings = PostgresBindings(capacity: 7)
        for column in [tenants, clients, keys, requests, types, ids, created] { bindings.append(column) }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO idempotency_keys (tenant_id, client_id, key_sha256, request_sha256, resource_type, resource_id, created_at)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bytea[], $4::bytea[], $5::text[], $6::uuid[], $7::timestamptz[])
                AS u(tenant_id, client_id, key_sha256, request_sha256, resource_type, resource_id, created_at)
            ORDER BY tenant_id, client_id, key_sha256
            ON CONFLICT (tenant_id, client_id, key_sha256) DO NOTHING
            RETURNING tenant_id, client_id, key_sha256
            """, binds: bindings), logger: logger)
        var inserted: Set<Owner> = []
        for try await (tenant, client, key) in rows.decode((UUID, UUID, ByteBuffer).self) {
            inserted.insert(Owner(tenant: tenant, client: client, key: Array(buffer: key)))
        }
        return inserted
    }
}

/// A resource as the columns `resource_type` and `resource_id` hold it.
extension IdempotentOutcome.Resource {
    fileprivate var columns: (type: String, id: TransactionID) {
        switch self {
        case .transaction(let id): ("transaction", id)
        case .review(let id): ("review", id)
        }
    }

    fileprivate init?(type: String, id: TransactionID) {
        switch type {
        case "transaction": self = .transaction(id)
        case "review": self = .review(id)
        default: return nil
        }
    }
}
