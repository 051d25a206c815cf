import CryptoAdapters
import Domain
import HTTPInterface
import Hummingbird
import HummingbirdTLS
import Logging
import PostgresAdapters
import PostgresNIO
import Prometheus
import ServiceLifecycle
import SodiumAdapters
import SystemAdapters

/// The composition root of `custos serve`: picks the adapters, builds the router, and runs the
/// database pool, the checkpoint signer and the HTTP server as one service group. SIGTERM or
/// SIGINT stops the server first (in-flight requests finish), then the signer, then the pool.
struct ServerAssembly {
    let group: ServiceGroup
    let databaseDescription: String

    /// `tls`: serve HTTPS with it (and send HSTS); nil: plain HTTP.
    /// `activating`: a bundle to make the active one once the schema is ready (`serve --policies`).
    static func make(
        configuration: Configuration, tls: ServerTLS? = nil, activating bundle: CompiledBundle? = nil, logger: Logger
    ) throws -> ServerAssembly {
        let migrations = try MigrationSet.load(directory: configuration.migrationsURL)
        let (url, migrationURL) = try DatabaseLocator.urls(for: configuration)
        let client = PostgresClient(
            configuration: url.clientConfiguration(connectionsMax: configuration.databaseConnectionsMax),
            backgroundLogger: logger
        )
        let usage = PoolUsage(connectionsMax: configuration.databaseConnectionsMax)
        let migrator = PostgresMigrator(client: client, logger: logger)
        let clock = SystemClock()
        let repository = PostgresTransactionRepository(client: client, usage: usage, logger: logger)
        let keeper = PostgresGroupCommitKeeper(
            client: client, origins: configuration.auditOrigins, clock: clock, usage: usage, logger: logger,
            hasher: SwiftCryptoSHA256()
        )
        let auditStore = PostgresAuditLogStore(client: client, logger: logger)
        let keyring = try AuditKeys.keyring(for: configuration, create: true)
        let rootKey = try FieldKeys.rootKey(for: configuration)
        logger.info("field encryption root key", metadata: ["fingerprint": .string(rootKey.fingerprint)])
        if rootKey.isDevelopment {
            logger.warning("field encryption uses the documented development root key: set CUSTOS_ROOT_KEY_FILE (see docs/encryption.md)")
        }
        let fields = try FieldKeys.protection(
            rootKey: rootKey, keys: CachedDataKeyStore(PostgresDataKeyStore(client: client, usage: usage, logger: logger)), keeper: keeper
        )
        let signatures = try SodiumSignatureVerifier()
        let checkpoints = CheckpointService(
            store: auditStore,
            sign: SignCheckpoint(store: auditStore, signer: keyring, verifier: signatures, clock: clock),
            logger: logger
        )
        let bundles = PostgresPolicyBundleStore(client: client, usage: usage, logger: logger)
        let policies = RefreshingPolicySource(store: bundles, checkEvery: .seconds(configuration.policyCheckSeconds))
        let metrics = HTTPMetrics(registry: PrometheusCollectorRegistry(), beforeScrape: PoolGauges.refresher(usage))
        let tokenSigner = try keyring.tokenSigner(version: configuration.tokenKeyVersion)
        let previousTokenKeys = configuration.tokenKeyVersion > 1 ? [try keyring.tokenSigner(version: configuration.tokenKeyVersion - 1).key] : []
        let tokenKeys = [tokenSigner.key] + previousTokenKeys
        let access = PostgresAccessDirectory(client: client, usage: usage, logger: logger)
        let external = try ExternalIssuerSetup.load(configuration, ownKeyIDs: Set(tokenKeys.map(\.keyID)))
        if let (issuer, _) = external {
            logger.info("accepting tokens of an external issuer", metadata: ["issuer": .string(issuer.issuer), "keys": .stringConvertible(issuer.keys.count)])
        }
        let ids = UUIDv7Generator(clock: clock)
        let idempotency = PostgresIdempotencyStore(client: client, usage: usage, logger: logger)
        let pruneKeys = IdempotencyPruneService(
            prune: PruneIdempotencyKeys(store: idempotency, clock: clock, retentionSeconds: Int64(configuration.idempotencyRetentionHours) * 3_600),
            logger: logger
        )
        let tokens = TokenEndpoint(
            issue: try IssueAccessToken(
                directory: access, hasher: try SodiumSecretHasher(), signer: tokenSigner, keeper: keeper, clock: clock,
                issuer: configuration.tokenIssuer, audience: configuration.tokenAudience, lifetimeSeconds: configuration.tokenLifetimeSeconds,
                newTokenID: { ids.newUUID().uuidString.lowercased() }
            ),
            keys: tokenKeys
        )
        let dependencies = HTTPDependencies(
            recordTransaction: RecordTransaction(
                keeper: keeper, clock: clock, ids: ids, fields: fields, policies: policies, history: repository
            ),
            getTransaction: GetTransaction(repository: repository, keeper: keeper, fields: fields),
            findTransactions: FindTransactions(repository: repository, keeper: keeper, fields: fields),
            listTransactions: ListTransactions(repository: repository, keeper: keeper, fields: fields),
            listReviews: ListReviews(repository: repository, keeper: keeper, fields: fields),
            decideReview: DecideReview(repository: repository, keeper: keeper, clock: clock),
            getDecision: GetDecision(repository: repository, keeper: keeper),
            replayDecision: ReplayDecision(repository: repository, keeper: keeper, fields: fields, bundles: bundles),
            readAuditLog: ReadAuditLog(store: auditStore, keys: keyring),
            idempotency: idempotency,
            auditOrigins: configuration.auditOrigins,
            readiness: DatabaseReadiness(client: client, migrator: migrator, migrations: migrations, logger: logger),
            metrics: metrics,
            bodyBytesMax: configuration.bodyBytesMax,
            tokens: tokens,
            authenticate: AuthenticateRequest(
                keys: tokens.keys, verifier: signatures, directory: access, clock: clock,
                issuer: configuration.tokenIssuer, audience: configuration.tokenAudience,
                external: external?.0, externalVerifier: external?.1
            ),
            authorize: AuthorizeScope(keeper: keeper),
            rateLimiter: InProcessRateLimiter(
                TokenBucket.Limits(perSecond: configuration.rateLimitPerSecond, burst: configuration.rateLimitBurst), clock: clock
            ),
            hstsMaxAgeSeconds: tls == nil ? nil : configuration.hstsMaxAgeSeconds
        )
        var app = Application(
            router: buildRouter(dependencies),
            server: try tls.map { try .tls(.http1(), tlsConfiguration: $0.configuration) } ?? .http1(),
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "custos"),
            logger: logger
        )
        let environment = configuration.environment
        app.beforeServerStarts {
            if migrationURL == url {
                try await prepareSchema(migrator: migrator, migrations: migrations, logger: logger)
            } else {
                // Migrations run as the schema's owner, on a short-lived pool of their own.
                let owner = PostgresClient(configuration: migrationURL.clientConfiguration(connectionsMax: 1), backgroundLogger: logger)
                try await withClient(owner) {
                    try await prepareSchema(migrator: PostgresMigrator(client: owner, logger: logger), migrations: migrations, logger: logger)
                }
            }
            try await ApplicationRoleCheck.run(client: client, environment: environment, logger: logger)
            if let bundle {
                let result = try await ActivatePolicyBundle(store: bundles, keeper: keeper, clock: clock)(
                    bundle, context: AuditContext(actor: "operator:serve")
                )
                switch result {
                case .activated(let activation, let previous):
                    logger.notice("policy bundle activated", metadata: ["hash": .string(activation.hash), "previous": .string(previous ?? "none")])
                case .alreadyActive(let activation):
                    logger.info("policy bundle already active", metadata: ["hash": .string(activation.hash)])
                }
            }
        }
        let group = ServiceGroup(
            configuration: .init(services: [client, checkpoints, pruneKeys, app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        return ServerAssembly(group: group, databaseDescription: url.description)
    }

    func run() async throws {
        try await group.run()
    }

    /// A fresh database is migrated; an existing one is left to `custos migrate`, and /readyz
    /// answers 503 until its schema is current.
    static func prepareSchema(migrator: PostgresMigrator, migrations: MigrationSet, logger: Logger) async throws {
        if try await migrator.databaseIsEmpty() {
            let applied = try await migrator.migrate(migrations)
            logger.info("empty database migrated", metadata: ["applied": .string(applied.joined(separator: ","))])
            return
        }
        let status = try await migrator.status(of: migrations)
        if !status.isCurrent {
            logger.warning("database schema is not current; run `custos migrate`", metadata: [
                "not_current": .string(status.entries.filter { $0.state != .applied }.map(\.name).joined(separator: ",")),
            ])
        }
    }
}

/// Database gauges, sampled from the repositories' counts whenever `/metrics` is scraped.
enum PoolGauges {
    static func refresher(_ usage: PoolUsage) -> @Sendable (PrometheusCollectorRegistry) -> Void {
        { registry in
            let snapshot = usage.snapshot
            registry.makeGauge(descriptor: .init(
                namespace: "custos", subsystem: "db", metricName: "operations_in_flight", unitName: "",
                helpText: "Repository database operations waiting for or holding a pooled connection"
            ), labels: []).set(Double(snapshot.operationsInFlight))
            registry.makeGauge(descriptor: .init(
                namespace: "custos", subsystem: "db_pool", metricName: "connections_max", unitName: "",
                helpText: "Configured maximum size of the database connection pool"
            ), labels: []).set(Double(usage.connectionsMax))
        }
    }
}
