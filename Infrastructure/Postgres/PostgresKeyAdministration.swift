import Domain
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// `KeyAdministration` on PostgreSQL (migrations/0011). Each operation runs in one database
/// transaction with the audit entry that records it (`PostgresRecordKeeper.commit(operation:…)`).
/// Concurrency (docs/encryption.md §8):
/// - a rotation locks the tenant's active KEK row (`FOR UPDATE`), so rotations run one at a time;
/// - a re-encryption batch locks the keys it reads from and writes to (`FOR SHARE`) before
///   updating, and updates a row only if it still has the key it was read with, both keys are
///   still live and the target still active: a shred (which updates those key rows, so waits for
///   or is waited on by the batch) is never undone, and a row changed meanwhile is left for the
///   next batch;
/// - new rows are inserted with the active key and never touched.
public struct PostgresKeyAdministration: KeyAdministration {
    public static let batchRowsMax = ReencryptTenant.batchMax
    private let client: PostgresClient
    private let usage: PoolUsage
    private let logger: Logger
    private let keeper: PostgresRecordKeeper

    public init(client: PostgresClient, usage: PoolUsage, logger: Logger, keeper: PostgresRecordKeeper) {
        self.client = client
        self.usage = usage
        self.logger = logger
        self.keeper = keeper
    }

    public func liveKeys(tenant: TenantID) async throws -> [DataKeyRecord] {
        try await DatabaseFailure.wrapping("read data keys") {
            try await usage.track {
                try await client.scoped(.tenant(tenant), logger: logger) { connection in
                    let rows = try await connection.query(
                        PostgresQuery(
                            unsafeSQL: "SELECT \(PostgresDataKeyStore.columns) FROM data_keys WHERE tenant_id = $1 AND status <> 'destroyed' ORDER BY subject, version",
                            binds: Self.binds(tenant.rawValue)
                        ),
                        logger: logger
                    )
                    var keys: [DataKeyRecord] = []
                    for try await row in rows { keys.append(try PostgresDataKeyStore.record(from: row, tenant: tenant)) }
                    return keys
                }
            }
        }
    }

    public func apply(_ rotation: KEKRotation, event: AuditEvent) async throws {
        let tenant = rotation.tenant.rawValue
        try await keeper.commit(operation: "rotate keys", { connection in
            var active: Int32?
            for try await version in try await connection.query(
                "SELECT version FROM key_encryption_keys WHERE tenant_id = \(tenant) AND status = 'active' FOR UPDATE", logger: logger
            ).decode(Int32.self) { active = version }
            guard active == Int32(rotation.fromVersion) else { throw KeyOperationError.concurrentChange }
            try await connection.query(
                "UPDATE key_encryption_keys SET status = 'superseded' WHERE tenant_id = \(tenant) AND version = \(Int32(rotation.fromVersion))",
                logger: logger
            )
            try await connection.query(
                "INSERT INTO key_encryption_keys (tenant_id, version, status) VALUES (\(tenant), \(Int32(rotation.toVersion)), 'active')",
                logger: logger
            )
            var ids = PostgresArrayBind.uuids(capacity: rotation.rewrapped.count)
            var wrapped = PostgresArrayBind.byteas(capacity: rotation.rewrapped.count, bytesEach: WrappedDataKey.byteCount)
            for key in rotation.rewrapped {
                precondition(key.kekVersion == rotation.toVersion && key.tenant == rotation.tenant, "rewrapped under the new version")
                ids.append(key.reference.id.rawValue)
                wrapped.append(bytes: key.bytes)
            }
            // A key destroyed meanwhile stays destroyed (no wrapped bytes come back).
            try await connection.query(
                PostgresQuery(unsafeSQL: """
                    UPDATE data_keys d SET wrapped = u.wrapped, kek_version = $2
                    FROM unnest($3::uuid[], $4::bytea[]) AS u(id, wrapped)
                    WHERE d.id = u.id AND d.tenant_id = $1 AND d.status <> 'destroyed'
                    """, binds: Self.binds(tenant, Int32(rotation.toVersion), ids, wrapped)),
                logger: logger
            )
            var subjects = PostgresArrayBind.texts(capacity: rotation.added.count)
            var addedIDs = PostgresArrayBind.uuids(capacity: rotation.added.count)
            var versions = PostgresArrayBind.int4s(capacity: rotation.added.count)
            var addedWrapped = PostgresArrayBind.byteas(capacity: rotation.added.count, bytesEach: WrappedDataKey.byteCount)
            for key in rotation.added {
                guard let bytes = key.wrapped?.bytes, key.status == .active else { preconditionFailure("a new key is active and wrapped") }
                subjects.append(key.subject.id.value)
                addedIDs.append(key.reference.id.rawValue)
                versions.append(Int32(key.reference.version))
                addedWrapped.append(bytes: bytes)
            }
            try await connection.query(
                PostgresQuery(unsafeSQL: """
                    UPDATE data_keys SET status = 'superseded' WHERE tenant_id = $1 AND status = 'active' AND subject = ANY($2::text[])
                    """, binds: Self.binds(tenant, subjects)),
                logger: logger
            )
            try await connection.query(
                PostgresQuery(unsafeSQL: """
                    INSERT INTO data_keys (id, tenant_id, subject, version, status, kek_version, wrapped)
                    SELECT u.id, $1, u.subject, u.version, 'active', $2, u.wrapped
                    FROM unnest($3::uuid[], $4::text[], $5::int4[], $6::bytea[]) AS u(id, subject, version, wrapped)
                    """, binds: Self.binds(tenant, Int32(rotation.toVersion), addedIDs, subjects, versions, addedWrapped)),
                logger: logger
            )
            try await Self.retireUnusedKEKs(tenant: tenant, on: connection, logger: logger)
        }, record: { AuditedChange(events: [event]) })
    }

    public func rowsToReencrypt(tenant: TenantID, limit: Int) async throws -> [StoredTransaction] {
        precondition((1...Self.batchRowsMax).contains(limit), "1 to \(Self.batchRowsMax) rows")
        return try await DatabaseFailure.wrapping("read rows to re-encrypt") {
            try await usage.track {
                try await client.scoped(.tenant(tenant), logger: logger) { connection in
                    // Rows on a superseded (or, written late, a retired) key, then rows in plaintext.
                    let rows = try await connection.query(
                        PostgresQuery(unsafeSQL: """
                            (\(PostgresTransactionRepository.selectStoredSQL)
                             WHERE t.data_key_id IN (SELECT id FROM data_keys WHERE tenant_id = $1 AND status IN ('superseded', 'retired'))
                               AND t.tenant_id = $1
                             ORDER BY t.id LIMIT $2)
                            UNION ALL
                            (\(PostgresTransactionRepository.selectStoredSQL)
                             WHERE t.tenant_id = $1 AND t.counterparty_account IS NOT NULL
                             ORDER BY t.id LIMIT $2)
                            LIMIT $2
                            """, binds: Self.binds(tenant.rawValue, Int64(limit))),
                        logger: logger
                    )
                    var found: [StoredTransaction] = []
                    for try await row in rows { found.append(try PostgresTransactionRepository.stored(from: row)) }
                    return found
                }
            }
        }
    }

    public func apply(_ rows: [Reencryption], tenant: TenantID, event: @escaping @Sendable (Int) -> AuditEvent) async throws -> Int {
        guard !rows.isEmpty else { return 0 }
        return try await keeper.commit(operation: "re-encrypt rows", { connection in
            var ids = PostgresArrayBind.uuids(capacity: rows.count), previous = PostgresArrayBind.uuids(capacity: rows.count)
            var keys = PostgresArrayBind.uuids(capacity: rows.count)
            var accounts = PostgresArrayBind.byteas(capacity: rows.count, bytesEach: 128)
            var accountIndexes = PostgresArrayBind.int4s(capacity: rows.count)
            var names = PostgresArrayBind.byteas(capacity: rows.count, bytesEach: 128), nameIndexes = PostgresArrayBind.int4s(capacity: rows.count)
            var locked: Set<UUID> = []
            for move in rows {
                let row = move.row
                guard row.tenantID == tenant, case .sealed(let account) = row.counterpartyAccount, let key = row.dataKey else {
                    preconditionFailure("re-encrypted rows are sealed, with their key, in this tenant")
                }
                ids.append(row.id.rawValue)
                previous.append(move.previousKey?.rawValue)
                keys.append(key.reference.id.rawValue)
                accounts.append(bytes: account.bytes)
                accountIndexes.append(row.counterpartyAccountIndex.map { Int32(bitPattern: $0) })
                if case .sealed(let name)? = row.counterpartyName { names.append(bytes: name.bytes) } else { names.append(bytes: nil) }
                nameIndexes.append(row.counterpartyNameIndex.map { Int32(bitPattern: $0) })
                locked.insert(key.reference.id.rawValue)
                if let previousKey = move.previousKey { locked.insert(previousKey.rawValue) }
            }
            var lockIDs = PostgresArrayBind.uuids(capacity: locked.count)
            for id in locked.sorted(by: { $0.uuidString < $1.uuidString }) { lockIDs.append(id) }
            // Lock the keys first (in id order): a shred of them waits for this batch, or this
            // batch sees it and leaves those rows alone.
            for try await _ in try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT id FROM data_keys WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR SHARE",
                              binds: Self.binds(tenant.rawValue, lockIDs)),
                logger: logger
            ) {}
            let updated = try await connection.query(
                PostgresQuery(unsafeSQL: """
                    UPDATE transactions t
                    SET data_key_id = u.key, counterparty_account = NULL, counterparty_account_ct = u.account,
                        counterparty_account_bidx = u.account_bidx, counterparty_name_ct = u.name, counterparty_name_bidx = u.name_bidx
                    FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::bytea[], $6::int4[], $7::bytea[], $8::int4[])
                        AS u(id, previous, key, account, account_bidx, name, name_bidx)
                    WHERE t.id = u.id AND t.tenant_id = $1 AND t.data_key_id IS NOT DISTINCT FROM u.previous
                      AND (u.previous IS NULL OR EXISTS (
                          SELECT 1 FROM data_keys k WHERE k.id = u.previous AND k.tenant_id = $1 AND k.status <> 'destroyed'))
                      AND EXISTS (SELECT 1 FROM data_keys k WHERE k.id = u.key AND k.tenant_id = $1 AND k.status = 'active')
                    RETURNING t.id
                    """, binds: Self.binds(tenant.rawValue, ids, previous, keys, accounts, accountIndexes, names, nameIndexes)),
                logger: logger
            )
            var count = 0
            for try await _ in updated { count += 1 }
            return count
        }, record: { count in count > 0 ? AuditedChange(events: [event(count)]) : nil })
    }

    public func retireUnused(tenant: TenantID, event: @escaping @Sendable ([DataKeyID]) -> AuditEvent) async throws -> [DataKeyID] {
        try await keeper.commit(operation: "retire keys", { connection in
            var retired: [DataKeyID] = []
            for try await id in try await connection.query(
                """
                UPDATE data_keys d SET status = 'retired', retired_at = now()
                WHERE d.tenant_id = \(tenant.rawValue) AND d.status = 'superseded'
                  AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.data_key_id = d.id)
                RETURNING d.id
                """,
                logger: logger
            ).decode(UUID.self) { retired.append(DataKeyID(id)) }
            try await Self.retireUnusedKEKs(tenant: tenant.rawValue, on: connection, logger: logger)
            return retired
        }, record: { retired in retired.isEmpty ? nil : AuditedChange(events: [event(retired)]) })
    }

    public func shred(
        _ subject: DataSubject, event: @escaping @Sendable (_ keys: [DataKeyID], _ rows: Int) -> AuditEvent
    ) async throws -> (keys: [DataKeyID], rows: Int) {
        let tenant = subject.tenant.rawValue
        let account = subject.id.value
        return try await keeper.commit(operation: "shred subject", { connection in
            var plaintext: Int64 = 0
            for try await count in try await connection.query(
                """
                SELECT count(*) FROM transactions
                WHERE tenant_id = \(tenant) AND account_id = \(account) AND counterparty_account IS NOT NULL
                """,
                logger: logger
            ).decode(Int64.self) { plaintext = count }
            guard plaintext == 0 else { throw KeyOperationError.plaintextRows(Int(plaintext)) }
            var destroyed: [DataKeyID] = []
            for try await id in try await connection.query(
                """
                UPDATE data_keys SET status = 'destroyed', wrapped = NULL, destroyed_at = now()
                WHERE tenant_id = \(tenant) AND subject = \(account) AND status <> 'destroyed'
                RETURNING id
                """,
                logger: logger
            ).decode(UUID.self) { destroyed.append(DataKeyID(id)) }
            // Every row of the subject leaves the blind indexes, also one written with a key
            // this shred destroyed while it was in flight (so a second shred cleans up after it).
            var unindexed = 0
            for try await _ in try await connection.query(
                """
                UPDATE transactions SET counterparty_account_bidx = NULL, counterparty_name_bidx = NULL
                WHERE tenant_id = \(tenant) AND account_id = \(account)
                  AND (counterparty_account_bidx IS NOT NULL OR counterparty_name_bidx IS NOT NULL)
                RETURNING id
                """,
                logger: logger
            ) { unindexed += 1 }
            guard !destroyed.isEmpty || unindexed > 0 else { throw KeyOperationError.noLiveKeys }
            var rows: Int64 = 0
            for try await count in try await connection.query(
                """
                SELECT count(*) FROM transactions t JOIN data_keys k ON k.id = t.data_key_id
                WHERE t.tenant_id = \(tenant) AND t.account_id = \(account) AND k.status = 'destroyed'
                """,
                logger: logger
            ).decode(Int64.self) { rows = count }
            return (destroyed, Int(rows))
        }, record: { result in AuditedChange(events: [event(result.keys, result.rows)]) })
    }

    public func status(tenant: TenantID, eachKey: Bool) async throws -> KeyStatus {
        try await DatabaseFailure.wrapping("read key status") {
            try await usage.track {
                try await client.scoped(.tenant(tenant), logger: logger) { connection in
                    var keks: [KeyStatus.KEK] = []
                    for try await (version, status, keys) in try await connection.query(
                        """
                        SELECT k.version, k.status,
                               (SELECT count(*) FROM data_keys d
                                WHERE d.tenant_id = k.tenant_id AND d.kek_version = k.version AND d.status <> 'destroyed')
                        FROM key_encryption_keys k WHERE k.tenant_id = \(tenant.rawValue) ORDER BY k.version
                        """,
                        logger: logger
                    ).decode((Int32, String, Int64).self) {
                        keks.append(KeyStatus.KEK(version: UInt32(max(version, 1)), status: status, dataKeys: Int(keys)))
                    }
                    var dataKeys: [KeyStatus.DataKeys] = []
                    for try await (version, status, keys, rows) in try await connection.query(
                        """
                        SELECT d.version, d.status, count(DISTINCT d.id),
                               coalesce(sum((SELECT count(*) FROM transactions t WHERE t.data_key_id = d.id)), 0)::bigint
                        FROM data_keys d WHERE d.tenant_id = \(tenant.rawValue)
                        GROUP BY d.version, d.status ORDER BY d.version, d.status
                        """,
                        logger: logger
                    ).decode((Int32, String, Int64, Int64).self) {
                        guard let status = DataKeyRecord.Status(rawValue: status) else {
                            throw CorruptRow(table: "data_keys", key: "status of version \(version)")
                        }
                        dataKeys.append(KeyStatus.DataKeys(version: UInt32(max(version, 1)), status: status, keys: Int(keys), rows: Int(rows)))
                    }
                    var each: [KeyStatus.DataKey] = []
                    if eachKey {
                        for try await (id, version, status, kekVersion, rows) in try await connection.query(
                            """
                            SELECT d.id, d.version, d.status, d.kek_version, (SELECT count(*) FROM transactions t WHERE t.data_key_id = d.id)
                            FROM data_keys d WHERE d.tenant_id = \(tenant.rawValue) ORDER BY d.created_at, d.id
                            """,
                            logger: logger
                        ).decode((UUID, Int32, String, Int32, Int64).self) {
                            guard let status = DataKeyRecord.Status(rawValue: status), version >= 1, kekVersion >= 1 else {
                                throw CorruptRow(table: "data_keys", key: id.uuidString.lowercased())
                            }
                            each.append(KeyStatus.DataKey(
                                reference: DataKeyReference(id: DataKeyID(id), version: UInt32(version)), status: status,
                                kekVersion: UInt32(kekVersion), rows: Int(rows)
                            ))
                        }
                    }
                    var plaintext: Int64 = 0
                    for try await count in try await connection.query(
                        "SELECT count(*) FROM transactions WHERE tenant_id = \(tenant.rawValue) AND counterparty_account IS NOT NULL",
                        logger: logger
                    ).decode(Int64.self) { plaintext = count }
                    return KeyStatus(tenant: tenant, keks: keks, dataKeys: dataKeys, eachKey: each, plaintextRows: Int(plaintext))
                }
            }
        }
    }

    /// Every tenant that has keys.
    public func tenants() async throws -> [TenantID] {
        try await DatabaseFailure.wrapping("read key status") {
            try await usage.track {
                try await client.scoped(.system, logger: logger) { connection in
                    var tenants: [TenantID] = []
                    for try await id in try await connection.query(
                        "SELECT DISTINCT tenant_id FROM key_encryption_keys ORDER BY tenant_id", logger: logger
                    ).decode(UUID.self) { tenants.append(TenantID(id)) }
                    return tenants
                }
            }
        }
    }

    /// Superseded KEK versions that no live data key is wrapped by any more become retired.
    static func retireUnusedKEKs(tenant: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE key_encryption_keys k SET status = 'retired', retired_at = now()
            WHERE k.tenant_id = \(tenant) AND k.status = 'superseded'
              AND NOT EXISTS (SELECT 1 FROM data_keys d WHERE d.tenant_id = k.tenant_id AND d.kek_version = k.version AND d.status <> 'destroyed')
            """,
            logger: logger
        )
    }

    private static func binds(_ values: any PostgresDynamicTypeEncodable...) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { bindings.append(value) }
        return bindings
    }
}
