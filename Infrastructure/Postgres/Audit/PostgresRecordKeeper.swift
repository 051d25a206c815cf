import Domain
import Foundation
import Logging
import PostgresNIO

/// `RecordKeeper` on PostgreSQL: one database transaction applies the business writes and
/// appends the audit entries. Each log's head row is locked (`SELECT … FOR UPDATE`, in origin
/// order to avoid deadlocks) for the whole transaction, so appends to one log are sequenced
/// across connections and processes: gap-free, fork-free. A rolled-back transaction leaves no
/// entry; a committed one always has its entries.
public struct PostgresRecordKeeper: RecordKeeper {
    private let client: PostgresClient
    private let origins: AuditOrigins
    private let clock: any Clock
    private let usage: PoolUsage
    private let logger: Logger

    public init(client: PostgresClient, origins: AuditOrigins, clock: any Clock, usage: PoolUsage, logger: Logger) {
        self.client = client
        self.origins = origins
        self.clock = clock
        self.usage = usage
        self.logger = logger
    }

    public func commit(_ change: AuditedChange) async throws -> [AuditReceipt] {
        try await usage.track {
            try await DatabaseFailure.wrapping("commit audited change") {
                try await client.withConnection { connection in
                    try await connection.inTransaction(logger: logger) { connection in
                        try await apply(change, on: connection)
                    }
                }
            }
        }
    }

    private func apply(_ change: AuditedChange, on connection: PostgresConnection) async throws -> [AuditReceipt] {
        var heads: [String: AuditLogHead] = [:]
        let scopes = Dictionary(change.events.map { (origins.origin(of: $0.scope), $0.scope) }, uniquingKeysWith: { a, _ in a })
        for origin in scopes.keys.sorted() {
            heads[origin] = try await AuditHeads.lock(origin: origin, scope: scopes[origin]!, on: connection, logger: logger)
        }
        for write in change.writes {
            switch write {
            case .insertTransaction(let transaction):
                try await PostgresTransactionRepository.insert(transaction, on: connection, logger: logger)
            }
        }
        let nowMs = clock.now().unixMillisecondsClamped
        var receipts: [AuditReceipt] = []
        for event in change.events {
            let origin = origins.origin(of: event.scope)
            guard var head = heads[origin] else { preconditionFailure("head not locked for \(origin)") }
            let leaf = try head.append(eventType: event.eventType, actor: event.actor, payload: event.payload, nowMs: nowMs)
            heads[origin] = head
            try await connection.query(
                """
                INSERT INTO audit_entries (origin, idx, leaf, leaf_hash)
                VALUES (\(origin), \(Int64(leaf.index)), \(Data(leaf.encoded)), \(Data(leaf.leafHash)))
                """,
                logger: logger
            )
            receipts.append(AuditReceipt(origin: origin, index: leaf.index))
        }
        for head in heads.values { try await AuditHeads.store(head, on: connection, logger: logger) }
        return receipts
    }
}
