import Domain
import Foundation
import HTTPInterface
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MemoryAdapters
import NIOCore
import SodiumAdapters
import Testing
import TestSupport

struct StubReadiness: ReadinessCheck {
    let ready: Bool
    func check() async -> ReadinessReport {
        ReadinessReport(checks: [.init(name: "database", ok: ready, detail: ready ? "reachable" : "unreachable")])
    }
}

/// Wires the real router (the same `buildRouter` as `custos serve`) over the given adapters.
/// Without a keeper, an in-memory repository gets an in-memory record keeper of its own.
func makeApp(
    repository: any TransactionRepository, keeper: (any RecordKeeper)? = nil, auditStore: (any AuditLogStore)? = nil,
    keys: (any DataKeyStore)? = nil,
    policies: any ActivePolicySource = PolicyFixtures.source, bundles: (any PolicyBundleStore)? = nil,
    readiness: any ReadinessCheck = StubReadiness(ready: true),
    metrics: HTTPMetrics = HTTPMetrics(), bodyBytesMax: Int = HTTPDependencies.bodyBytesMaxDefault,
    tokens: TokenEndpoint? = nil
) -> some ApplicationProtocol {
    let clock = ManualClock(Fixtures.now)
    guard let keeper = keeper ?? (repository as? InMemoryTransactionRepository).map({
        InMemoryRecordKeeper(transactions: $0, clock: clock)
    }) else { preconditionFailure("pass a keeper for this repository") }
    guard let store = auditStore ?? (keeper as? any AuditLogStore) else { preconditionFailure("pass an audit store") }
    let fields = Sealing.protection(
        keys: keys ?? (repository as? InMemoryTransactionRepository)?.keys ?? InMemoryDataKeyStore(), keeper: keeper
    )
    guard let history = repository as? any TransactionHistory else { preconditionFailure("the repository gives history too") }
    guard let bundles = bundles ?? (keeper as? InMemoryRecordKeeper)?.policyBundles else { preconditionFailure("pass a bundle store") }
    let dependencies = HTTPDependencies(
        recordTransaction: RecordTransaction(
            keeper: keeper, clock: clock, ids: SequentialIDGenerator(), fields: fields, policies: policies, history: history
        ),
        getTransaction: GetTransaction(repository: repository, keeper: keeper, fields: fields),
        findTransactions: FindTransactions(repository: repository, keeper: keeper, fields: fields),
        getDecision: GetDecision(repository: repository, keeper: keeper),
        replayDecision: ReplayDecision(repository: repository, keeper: keeper, fields: fields, bundles: bundles),
        readAuditLog: ReadAuditLog(store: store, keys: testKeyring), auditOrigins: AuditOrigins(),
        readiness: readiness, metrics: metrics, bodyBytesMax: bodyBytesMax, tokens: tokens
    )
    return Application(router: buildRouter(dependencies))
}

/// A fixed audit root key for tests.
let testKeyring = try! SodiumAuditKeyring(rootKey: [UInt8](repeating: 42, count: 32))

extension HTTPField.Name {
    static let tenant = HTTPField.Name("X-Tenant-ID")!
    static let requestID = HTTPField.Name("X-Request-ID")!
}

func jsonHeaders(tenant: TenantID? = Fixtures.tenantA) -> HTTPFields {
    var headers: HTTPFields = [.contentType: "application/json"]
    if let tenant { headers[.tenant] = tenant.description }
    return headers
}

/// The decoded body of a response, as a dictionary.
func object(_ response: TestResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
}

/// Asserts the RFC 9457 shape and returns the document.
@discardableResult
func expectProblem(_ response: TestResponse, status: HTTPResponse.Status, slug: String) throws -> [String: Any] {
    #expect(response.status == status)
    #expect(response.headers[.contentType] == "application/problem+json")
    let document = try object(response)
    #expect(document["type"] as? String == "urn:custos:problem:\(slug)")
    #expect(document["status"] as? Int == status.code)
    #expect((document["title"] as? String)?.isEmpty == false)
    #expect(document["request_id"] as? String == response.headers[.requestID])
    return document
}
