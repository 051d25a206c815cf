import Domain
import Foundation
import Logging
import MemoryAdapters
import PostgresAdapters
import PostgresNIO
@testable import SodiumAdapters
import SystemAdapters
import TestSupport
import Testing

/// The contract of `AccessDirectory` with its writers (`CreateTenant`, `RegisterClient`,
/// `RevokeClient` through a record keeper), against the in-memory and the PostgreSQL adapter,
/// concurrency included.
@Suite struct AccessDirectoryContractTests {
    struct World: Sendable {
        let directory: any AccessDirectory
        let keeper: any RecordKeeper
        let entries: @Sendable (AuditScope) async throws -> [[UInt8]]
        let hasher: SodiumSecretHasher

        var createTenant: CreateTenant { CreateTenant(keeper: keeper, clock: SystemClock(), newID: { TenantID(UUID()) }) }
        var register: RegisterClient {
            RegisterClient(directory: directory, keeper: keeper, hasher: hasher, clock: SystemClock(), newID: { ClientID(UUID()) })
        }
        var revoke: RevokeClient { RevokeClient(directory: directory, keeper: keeper, clock: SystemClock()) }
    }

    static let context = AuditContext(actor: "operator:test")

    static func withWorld(_ kind: RepositoryKind, _ body: (World) async throws -> Void) async throws {
        // The least Argon2id cost libsodium takes: these tests are about storage, not hashing cost.
        let hasher = try SodiumSecretHasher(cost: .minimum)
        switch kind {
        case .inMemory:
            let keeper = InMemoryRecordKeeper(transactions: InMemoryTransactionRepository(), clock: SystemClock())
            try await body(World(directory: keeper.access, keeper: keeper, entries: { keeper.entries(of: $0) }, hasher: hasher))
        case .postgres:
            try await TestDatabase.withDatabase(connectionsMax: 12) { client, _ in
                let usage = PoolUsage(connectionsMax: 12)
                let logger = Logger(label: "test")
                let keeper = PostgresRecordKeeper(client: client, origins: AuditOrigins(), clock: SystemClock(), usage: usage, logger: logger)
                let reader = PostgresAuditLogStore(client: client, logger: logger)
                try await body(World(
                    directory: PostgresAccessDirectory(client: client, usage: usage, logger: logger), keeper: keeper,
                    entries: { try await reader.entries(origin: AuditOrigins().origin(of: $0), from: 0, count: 1_000) }, hasher: hasher
                ))
            }
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func aTenantReadsBackAndItsNameIsTakenOnce(kind: RepositoryKind) async throws {
        try await Self.withWorld(kind) { world in
            let tenant = try await world.createTenant(name: "Acme Bank AG", context: Self.context)
            #expect(try await world.directory.tenant(tenant.id) == tenant)
            #expect(try await world.directory.tenant(TenantID(UUID())) == nil)
            await #expect(throws: AccessError.tenantNameTaken) { try await world.createTenant(name: "Acme Bank AG", context: Self.context) }
            await #expect(throws: AccessError.invalidTenantName) { try await world.createTenant(name: " padded", context: Self.context) }
            let second = try await world.createTenant(name: "Acme Bank", context: Self.context)
            #expect(try await world.directory.tenants(limit: 10).map(\.id) == [tenant.id, second.id])
            #expect(try await world.directory.tenants(limit: 1).map(\.id) == [tenant.id])
            // Two creations audited, the refused ones not.
            #expect(try await world.entries(.system).count == 2)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func concurrentCreationsOfOneNameMakeOneTenant(kind: RepositoryKind) async throws {
        try await Self.withWorld(kind) { world in
            let create = world.createTenant
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        do {
                            _ = try await create(name: "Same Name Ltd", context: Self.context)
                            return true
                        } catch {
                            #expect(error as? AccessError == .tenantNameTaken)
                            return false
                        }
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            let tenants = try await world.directory.tenants(limit: 10), entries = try await world.entries(.system)
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(tenants.count == 1)
            #expect(entries.count == 1)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func aClientKeepsOnlyAHashOfItsSecretAndIsAudited(kind: RepositoryKind) async throws {
        try await Self.withWorld(kind) { world in
            let tenant = try await world.createTenant(name: "Clinic Nord", context: Self.context)
            let (scopes, roles) = try RegisterClient.parse(scopes: "transactions:write, transactions:read", roles: "maker")
            let (client, secret) = try await world.register(tenant: tenant.id, scopes: scopes, roles: roles, context: Self.context)
            let stored = try #require(try await world.directory.client(client.id))
            #expect(stored == client)
            #expect(stored.scopes == [.transactionsRead, .transactionsWrite])
            #expect(stored.roles.map(\.value) == ["maker"])
            #expect(stored.secretHash.hasPrefix("$argon2id$"))
            #expect(!stored.secretHash.contains(secret.value))
            #expect(world.hasher.verifyNow(secret.value, against: stored.secretHash))
            #expect(!world.hasher.verifyNow(secret.value + "x", against: stored.secretHash))
            let entries = try await world.entries(.tenant(tenant.id))
            #expect(entries.count == 1)
            let text = String(decoding: entries.joined(), as: UTF8.self)
            #expect(text.contains("client.registered") && text.contains("transactions:write"))
            #expect(!text.contains(secret.value) && !text.contains(stored.secretHash) && !text.contains("argon2"))
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func aClientOfAnUnknownTenantIsRefusedAndNothingIsWritten(kind: RepositoryKind) async throws {
        try await Self.withWorld(kind) { world in
            let unknown = TenantID(UUID())
            await #expect(throws: AccessError.unknownTenant(unknown)) {
                try await world.register(tenant: unknown, scopes: [.auditRead], roles: [], context: Self.context)
            }
            let entries = try await world.entries(.tenant(unknown))
            #expect(entries.isEmpty)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func concurrentRevocationsRevokeOnceAndAuditOnce(kind: RepositoryKind) async throws {
        try await Self.withWorld(kind) { world in
            let tenant = try await world.createTenant(name: "Revocations GmbH", context: Self.context)
            let (client, _) = try await world.register(tenant: tenant.id, scopes: [.transactionsRead], roles: [], context: Self.context)
            // Each revocation writes through the keeper directly, so that all eight race at the
            // database rather than at the use case's read.
            let keeper = world.keeper
            let outcomes = await withTaskGroup(of: Result<Void, AccessError>.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let event = AuditEvent(
                            scope: .tenant(tenant.id), eventType: "client.revoked", context: Self.context, outcome: .success,
                            resourceType: "api_client", resourceID: client.id.description
                        )
                        do {
                            _ = try await keeper.commit(AuditedChange(writes: [.revokeClient(client.id, at: SystemClock().now())], events: [event]))
                            return .success(())
                        } catch let error as AccessError {
                            return .failure(error)
                        } catch {
                            Issue.record("unexpected \(error)")
                            return .failure(.unknownClient(client.id))
                        }
                    }
                }
                return await group.reduce(into: [Result<Void, AccessError>]()) { $0.append($1) }
            }
            #expect(outcomes.filter { if case .success = $0 { true } else { false } }.count == 1)
            #expect(outcomes.allSatisfy { if case .failure(let e) = $0 { e == .alreadyRevoked(client.id) } else { true } })
            #expect(try await world.directory.client(client.id)?.isRevoked == true)
            #expect(try await world.entries(.tenant(tenant.id)).count == 2)  // registered, revoked once
            await #expect(throws: AccessError.alreadyRevoked(client.id)) { try await world.revoke(client.id, context: Self.context) }
            let unknown = ClientID(UUID())
            await #expect(throws: AccessError.unknownClient(unknown)) { try await world.revoke(unknown, context: Self.context) }
        }
    }
}

@Suite struct SodiumSecretHasherTests {
    @Test func hashesAreArgon2idSaltedAndVerifyOnlyTheirSecret() throws {
        let hasher = try SodiumSecretHasher(cost: .minimum)
        let secret = ClientSecret.generate()
        #expect(secret.value.hasPrefix("cs_") && secret.value.utf8.count == 3 + 43)
        #expect(!"\(secret)".contains(secret.value))
        let first = try hasher.hash(secret.value), second = try hasher.hash(secret.value)
        #expect(first.hasPrefix("$argon2id$v=19$") && first != second)  // a new salt each time
        #expect(hasher.verifyNow(secret.value, against: first) && hasher.verifyNow(secret.value, against: second))
        #expect(!hasher.verifyNow(ClientSecret.generate().value, against: first))
        #expect(!hasher.verifyNow(secret.value, against: ""))
        #expect(!hasher.verifyNow(secret.value, against: "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"))
        #expect(!hasher.verifyNow(secret.value, against: String(repeating: "$argon2id$", count: 20)))
        #expect(throws: SodiumSecretHasher.Failure.self) { try hasher.hash(String(repeating: "x", count: SodiumSecretHasher.secretBytesMax + 1)) }
    }

    @Test func verificationsBeyondTheBoundsAreRefusedAtOnceAndTheRestAllComplete() async throws {
        let hasher = try SodiumSecretHasher(cost: .minimum, verificationsRunningMax: 2, verificationsWaitingMax: 3)
        let secret = "s3cret", hash = try hasher.hash("s3cret")
        // 40 at once: at most 5 are admitted at any moment; every admitted one answers correctly.
        let outcomes = await withTaskGroup(of: Bool?.self) { group in
            for index in 0..<40 {
                group.addTask {
                    do { return try await hasher.verify(index % 2 == 0 ? secret : "wrong", against: hash) == (index % 2 == 0) } catch { return nil }
                }
            }
            return await group.reduce(into: [Bool?]()) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { $0 != false })
        #expect(outcomes.contains { $0 == true })
        // With the load gone, every verification is admitted again.
        for _ in 0..<8 { #expect(try await hasher.verify(secret, against: hash)) }
    }

    @Test func theGateRefusesBeyondItsBoundsAndHandsFreedSlotsOn() async throws {
        let full = SodiumSecretHasher.Gate(runningMax: 1, waitingMax: 0)
        try await full.enter()
        await #expect(throws: SecretHasherBusy.self) { try await full.enter() }
        full.leave()
        try await full.enter()  // the slot is free again
        full.leave()

        let gate = SodiumSecretHasher.Gate(runningMax: 1, waitingMax: 1)
        try await gate.enter()
        let waiter = Task { try await gate.enter() }
        var spins = 0
        while gate.waitingCount == 0 && spins < 100_000 {
            await Task.yield()
            spins += 1
        }
        #expect(gate.waitingCount == 1)
        await #expect(throws: SecretHasherBusy.self) { try await gate.enter() }  // one runs, one waits: full
        gate.leave()  // hands the slot to the waiter
        try await waiter.value
        #expect(gate.waitingCount == 0)
        gate.leave()
    }

    @Test func theInteractiveCostIsLibsodiums() throws {
        let hash = try SodiumSecretHasher(cost: .interactive).hash("s")
        #expect(hash.hasPrefix("$argon2id$v=19$m=65536,t=2,p=1$"))
    }

    @Test func scopesAndRolesParseStrictly() throws {
        #expect(throws: AccessError.invalidScope("transactions:delete")) { try RegisterClient.parse(scopes: "transactions:delete", roles: "") }
        #expect(throws: AccessError.noScopes) { try RegisterClient.parse(scopes: " , ", roles: "") }
        #expect(throws: AccessError.invalidRole) { try RegisterClient.parse(scopes: "admin", roles: "Maker") }
        let (scopes, roles) = try RegisterClient.parse(scopes: "admin admin,audit:read", roles: "checker maker")
        #expect(Set(scopes) == [.admin, .auditRead] && roles.map(\.value) == ["checker", "maker"])
    }
}
