import Domain
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// `DataKeyStore` on PostgreSQL (tables `key_encryption_keys` and `data_keys`, migrations/0011).
/// Every statement names the tenant. Keys are added inside a record keeper's transaction
/// (`insert`), with their audit entry.
public struct PostgresDataKeyStore: DataKeyStore {
    private let client: PostgresClient
    private let usage: PoolUsage
    private let logger: Logger

    public init(client: PostgresClient, usage: PoolUsage, logger: Logger) {
        self.client = client
        self.usage = usage
        self.logger = logger
    }

    public func currentKEKVersion(tenant: TenantID) async throws -> UInt32 {
        try await DatabaseFailure.wrapping("read key-encryption key") {
            try await usage.track {
                try await client.scoped(.tenant(tenant), logger: logger) { connection in
                    try await connection.query(Self.registerFirstKEK(tenant), logger: logger)
                    let rows = try await connection.query(
                        "SELECT version FROM key_encryption_keys WHERE tenant_id = \(tenant.rawValue) AND status = 'active'",
                        logger: logger
                    )
                    var version: Int32?
                    for try await value in rows.decode(Int32.self) { version = value }
                    guard let version, version >= 1 else { throw CorruptRow(table: "key_encryption_keys", key: tenant.description) }
                    return UInt32(version)
                }
            }
        }
    }

    public func activeKey(of subject: DataSubject) async throws -> DataKeyRecord? {
        try await read(
            "WHERE tenant_id = $1 AND subject = $2 AND status = 'active'", subject.tenant, { $0.append(subject.id.value) }
        ).first
    }

    public func newestVersion(of subject: DataSubject) async throws -> UInt32? {
        try await DatabaseFailure.wrapping("read data keys") {
            try await usage.track {
                try await client.scoped(.tenant(subject.tenant), logger: logger) { connection in
                    let rows = try await connection.query(
                        "SELECT max(version) FROM data_keys WHERE tenant_id = \(subject.tenant.rawValue) AND subject = \(subject.id.value)",
                        logger: logger
                    )
                    var newest: Int32?
                    for try await value in rows.decode(Int32?.self) { newest = value }
                    return newest.map { UInt32(max($0, 1)) }
                }
            }
        }
    }

    public func key(_ id: DataKeyID, tenant: TenantID) async throws -> DataKeyRecord? {
        try await read("WHERE tenant_id = $1 AND id = $2", tenant, { $0.append(id.rawValue) }).first
    }

    static let columns = "id, subject, version, status, kek_version, wrapped"

    /// Registers version 1 of the tenant's KEK unless the tenant has one; a concurrent
    /// registration is the same row.
    static func registerFirstKEK(_ tenant: TenantID) -> PostgresQuery {
        """
        INSERT INTO key_encryption_keys (tenant_id, version, status)
        SELECT \(tenant.rawValue), 1, 'active'
        WHERE NOT EXISTS (SELECT 1 FROM key_encryption_keys WHERE tenant_id = \(tenant.rawValue))
        ON CONFLICT DO NOTHING
        """
    }

    private func read(
        _ condition: String, _ tenant: TenantID, _ bind: (inout PostgresBindings) -> Void
    ) async throws -> [DataKeyRecord] {
        var binds = PostgresBindings(capacity: 2)
        binds.append(tenant.rawValue)
        bind(&binds)
        return try await DatabaseFailure.wrapping("read data keys") { [binds] in
            try await usage.track {
                try await client.scoped(.tenant(tenant), logger: logger) { connection in
                    let rows = try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM data_keys " + condition, binds: binds), logger: logger
                    )
                    var found: [DataKeyRecord] = []
                    for try await row in rows { found.append(try Self.record(from: row, tenant: tenant)) }
                    return found
                }
            }
        }
    }

    /// A key row from `columns`, checked.
    static func record(from row: PostgresRow, tenant: TenantID) throws -> DataKeyRecord {
        let (id, subject, version, status, kekVersion, wrapped) = try row.decode((UUID, String, Int32, String, Int32, ByteBuffer?).self)
        return try record(id: id, subject: subject, version: version, status: status, kekVersion: kekVersion, wrapped: wrapped, tenant: tenant)
    }

    /// A key row from its `columns` values (also as joined to a transaction row), checked.
    static func record(
        id: UUID, subject: String, version: Int32, status: String, kekVersion: Int32, wrapped: ByteBuffer?, tenant: TenantID
    ) throws -> DataKeyRecord {
        guard let subjectID = AccountIdentifier(subject), version >= 1, kekVersion >= 1,
              let status = DataKeyRecord.Status(rawValue: status),
              (status == .destroyed) == (wrapped == nil)
        else { throw CorruptRow(table: "data_keys", key: id.uuidString.lowercased()) }
        let reference = DataKeyReference(id: DataKeyID(id), version: UInt32(version))
        return DataKeyRecord(
            reference: reference, subject: DataSubject(tenant: tenant, id: subjectID), status: status,
            wrapped: wrapped.map { WrappedDataKey(reference: reference, tenant: tenant, kekVersion: UInt32(kekVersion), bytes: Array(buffer: $0)) }
        )
    }

    /// Inside a transaction: adds `record` as its subject's active key, or throws
    /// `DataKeyError.keyExists` (the subject has an active key, or the version is taken).
    static func insert(_ record: DataKeyRecord, on connection: PostgresConnection, logger: Logger) async throws {
        guard let wrapped = record.wrapped, record.status == .active else { preconditionFailure("a new key is active and wrapped") }
        // A tenant's first key registers its KEK version 1, as `currentKEKVersion` would have.
        try await connection.query(registerFirstKEK(record.subject.tenant), logger: logger)
        let rows = try await connection.query(
            """
            INSERT INTO data_keys (id, tenant_id, subject, version, status, kek_version, wrapped)
            VALUES (\(record.reference.id.rawValue), \(record.subject.tenant.rawValue), \(record.subject.id.value),
                    \(Int32(record.reference.version)), 'active', \(Int32(wrapped.kekVersion)), \(ByteBuffer(bytes: wrapped.bytes)))
            ON CONFLICT DO NOTHING
            RETURNING id
            """,
            logger: logger
        )
        var inserted = false
        for try await _ in rows { inserted = true }
        if !inserted { throw DataKeyError.keyExists }
    }
}
