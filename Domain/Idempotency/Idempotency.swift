/// A client's `Idempotency-Key`, as it is kept: the SHA-256 of its text. The text is the client's
/// (a UUID, usually, but it could be anything), so it is never stored or logged.
///
/// The text is 1 to 255 visible ASCII characters (`!` to `~`). The IETF draft
/// (draft-ietf-httpapi-idempotency-key-header) makes the header a structured-field string, in
/// double quotes; most clients send the bare key. Both are accepted, and `"k"` and `k` are the
/// same key.
public struct IdempotencyKey: Hashable, Sendable {
    public static let lengthMax = 255
    public static let rule = "must be 1 to 255 visible ASCII characters, optionally in double quotes"
    /// SHA-256 of the key's text (without the quotes).
    public let digest: [UInt8]

    public init?(header: String) {
        var scalars = Substring(header).unicodeScalars[...]
        if scalars.count >= 2, scalars.first == "\"", scalars.last == "\"" {
            scalars = scalars.dropFirst().dropLast()
        }
        guard (1...Self.lengthMax).contains(scalars.count),
              scalars.allSatisfy({ (0x21...0x7E).contains($0.value) && $0 != "\"" && $0 != "\\" })
        else { return nil }
        self.digest = SHA256.hash(String(String.UnicodeScalarView(scalars)).utf8)
    }
}

/// One creating request sent with an idempotency key: whose key it is (keys are per client), and
/// a fingerprint of what was asked (method, route and body bytes), so that a key reused for another
/// request is refused instead of answered with the first one's result.
public struct IdempotentRequest: Hashable, Sendable {
    public let tenant: TenantID
    public let client: ClientID
    public let key: IdempotencyKey
    /// SHA-256 over `method`, `route` and the body, each length-prefixed.
    public let fingerprint: [UInt8]

    public init(tenant: TenantID, client: ClientID, key: IdempotencyKey, method: String, route: String, body: [UInt8]) {
        var hasher = SHA256()
        for part in [Array(method.utf8), Array(route.utf8), body] {
            hasher.update(withUnsafeBytes(of: UInt64(part.count).bigEndian, Array.init))
            hasher.update(part)
        }
        self.init(tenant: tenant, client: client, key: key, fingerprint: hasher.finalize())
    }

    public init(tenant: TenantID, client: ClientID, key: IdempotencyKey, fingerprint: [UInt8]) {
        precondition(fingerprint.count == SHA256.digestByteCount, "a fingerprint is a SHA-256")
        self.tenant = tenant
        self.client = client
        self.key = key
        self.fingerprint = fingerprint
    }
}

/// What a keyed request created, remembered in the same atomic step as the creation itself: so a
/// retry finds either nothing (nothing was created) or this (it was, exactly once). Only a reference
/// is kept, never a response body: the response is rendered again from the resource as it was
/// created (which never changes), so no personal data is stored twice.
public struct IdempotentOutcome: Hashable, Sendable {
    public enum Resource: Hashable, Sendable {
        /// `POST /v1/transactions` recorded this transaction.
        case transaction(TransactionID)
        /// `POST /v1/reviews/{id}` decided the review of this transaction.
        case review(TransactionID)
    }

    public let request: IdempotentRequest
    public let resource: Resource
    public let createdAt: UTCTimestamp

    public init(request: IdempotentRequest, resource: Resource, createdAt: UTCTimestamp) {
        self.request = request
        self.resource = resource
        self.createdAt = createdAt
    }
}

extension IdempotentRequest? {
    /// The writes that remember what this keyed request created (none without a key): the first
    /// of its change, so that a duplicate waits for this one's commit before anything else.
    func remembering(_ resource: IdempotentOutcome.Resource, at time: UTCTimestamp) -> [BusinessWrite] {
        map { [.rememberOutcome(IdempotentOutcome(request: $0, resource: resource, createdAt: time))] } ?? []
    }
}

public enum IdempotencyError: DomainError, Equatable {
    /// The key was used before by this client for a different request (another body or route).
    case keyReused
    /// The client has this key already: what a record keeper throws for a change that would
    /// remember it a second time (then nothing of that change is written).
    case keyTaken
    /// The key's first request was neither completed nor released in time (a retry may succeed).
    case keyInUse

    public var slug: String {
        switch self {
        case .keyReused: "idempotency-key-reused"
        case .keyTaken, .keyInUse: "idempotency-key-in-use"
        }
    }
}

/// The result of a keyed creation: made now, or made before and found.
public enum Idempotent<Created: Sendable>: Sendable {
    case created(Created)
    case replayed(IdempotentOutcome)
}

/// Runs a creating request at most once per client and key. The first request to commit its
/// creation wins; the creation and its outcome are one atomic change, so a crash or a rollback
/// leaves neither. A concurrent duplicate does its work, then finds the key taken when it commits
/// (PostgreSQL makes it wait for the first one's transaction) and has nothing written: it answers
/// with the first one's outcome. A request that failed wrote no outcome, so it may be retried with
/// the same key; a decided one keeps its decision.
public struct RunIdempotently: Sendable {
    private let store: any IdempotencyStore

    public init(store: any IdempotencyStore) {
        self.store = store
    }

    /// `create` is given the request (nil without a key) and must commit the outcome with its
    /// creation (`BusinessWrite.rememberOutcome`). Throws `IdempotencyError.keyReused` when the key
    /// belongs to another request.
    public func callAsFunction<Created: Sendable>(
        _ request: IdempotentRequest?, create: (IdempotentRequest?) async throws -> Created
    ) async throws -> Idempotent<Created> {
        guard let request else { return .created(try await create(nil)) }
        if let prior = try await outcome(of: request) { return .replayed(prior) }
        do {
            return .created(try await create(request))
        } catch IdempotencyError.keyTaken {
            // Committed by a concurrent duplicate: its outcome is there now (unless pruned meanwhile,
            // which takes a day).
            guard let prior = try await outcome(of: request) else { throw IdempotencyError.keyInUse }
            return .replayed(prior)
        }
    }

    private func outcome(of request: IdempotentRequest) async throws -> IdempotentOutcome? {
        guard let prior = try await store.outcome(of: request.key, client: request.client, tenant: request.tenant) else { return nil }
        guard prior.request.fingerprint == request.fingerprint else { throw IdempotencyError.keyReused }
        return prior
    }
}

/// Forgets keys older than the retention (at least a day): a periodic job of the server.
public struct PruneIdempotencyKeys: Sendable {
    public static let retentionSecondsMin: Int64 = 86_400
    public static let keysPerRunMax = 10_000
    private let store: any IdempotencyStore
    private let clock: any Clock
    private let retentionSeconds: Int64

    public init(store: any IdempotencyStore, clock: any Clock, retentionSeconds: Int64) {
        precondition(retentionSeconds >= Self.retentionSecondsMin, "keys are kept at least a day")
        self.store = store
        self.clock = clock
        self.retentionSeconds = retentionSeconds
    }

    /// How many keys were forgotten (at most `keysPerRunMax`; run again while it returns that).
    public func callAsFunction() async throws -> Int {
        let cutoff = clock.now().adding(microseconds: -retentionSeconds * 1_000_000)
        return try await store.prune(createdBefore: cutoff, limit: Self.keysPerRunMax)
    }
}
