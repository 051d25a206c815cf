import Domain
import Foundation
import MemoryAdapters
import TestSupport
import Testing

/// The contract of `TransactionHistory`, against the in-memory and the PostgreSQL adapter: the
/// windows end at the query's time (inclusive) and start after it minus their length; sums are in
/// the query's currency; declined rows and other accounts or tenants never count.
@Suite struct TransactionHistoryContractTests {
    static let t = try! UTCTimestamp.parse(rfc3339: "2026-11-24T12:00:00Z")
    static let hour = HistoryQuery.hourMicroseconds

    static func row(
        at offset: Int64, amount: Int64 = 100, currency: String = "EUR", kind: Transaction.Kind = .transfer,
        status: TransactionStatus = .posted, tenant: TenantID = Fixtures.tenantA, counterparty: String = "DE89370400440532013000"
    ) -> Transaction {
        Transaction(
            id: TransactionID(UUID()), tenantID: tenant, accountID: Sealing.subjectAccount,
            counterpartyAccount: .value(AccountIdentifier(counterparty)!), money: Money(amountMinor: amount, currency: Currency(code: currency)!)!,
            direction: .debit, kind: kind, occurredAt: t.adding(microseconds: offset), reference: nil, recordedAt: Fixtures.now, status: status
        )
    }

    static func query(_ store: RepositoryKind.Store, counterparty: String = "DE89370400440532013000", currency: String = "EUR") async throws -> HistoryFacts {
        let index = Sealing.indexer.value(of: [BlindIndex.normalize(counterparty)], in: .counterpartyAccount, tenant: Fixtures.tenantA)
        guard let history = store.repository as? any TransactionHistory else { preconditionFailure("both adapters give history") }
        return try await history.facts(HistoryQuery(
            tenant: Fixtures.tenantA, account: Sealing.subjectAccount, currency: Currency(code: currency)!, occurredAt: t,
            counterpartyAccountIndex: index
        ))
    }

    @Test(arguments: RepositoryKind.allCases)
    func windowsCountAndSumWhatTheyShould(kind: RepositoryKind) async throws {
        try await kind.withRepository { store in
            let rows = [
                Self.row(at: 0, amount: 1),                      // at the query's time: in every window
                Self.row(at: -Self.hour + 1, amount: 2),         // just inside the hour
                Self.row(at: -Self.hour, amount: 4),             // exactly an hour before: outside the hour, inside the day
                Self.row(at: -24 * Self.hour + 1, amount: 8, kind: .cash),
                Self.row(at: -24 * Self.hour, amount: 16, kind: .cash),          // outside the day
                Self.row(at: -7 * 24 * Self.hour + 1, amount: 32),               // just inside the week
                Self.row(at: -7 * 24 * Self.hour, amount: 64),                   // outside the week
                Self.row(at: 1, amount: 128),                                    // after the query's time
                Self.row(at: -10, amount: 256, currency: "USD"),                 // counted, not summed
                Self.row(at: -10, amount: 512, kind: .cash, status: .declined),  // never counted
                Self.row(at: -10, amount: 1_024, tenant: Fixtures.tenantB),      // another tenant
            ]
            for row in rows { try await store.add(row) }
            let facts = try await Self.query(store)
            #expect(facts.windows.count1h == 3)
            #expect(facts.windows.sum1hMinor == 1 + 2)
            #expect(facts.windows.count24h == 5)
            #expect(facts.windows.sum24hMinor == 1 + 2 + 4 + 8)
            #expect(facts.windows.cash24hMinor == 8)
            #expect(facts.windows.count7d == 7)
            #expect(facts.windows.sum7dMinor == 1 + 2 + 4 + 8 + 16 + 32)
            #expect(facts.firstOccurredAt == Self.t.adding(microseconds: -7 * 24 * Self.hour), "the first row, however old")
            let usd = try await Self.query(store, currency: "USD")
            #expect(usd.windows.sum1hMinor == 256 && usd.windows.count1h == 3)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func counterpartyCandidatesAreTheAccountsEarlierRowsWithThatIndex(kind: RepositoryKind) async throws {
        try await kind.withRepository { store in
            #expect(try await Self.query(store).counterpartyCandidates.isEmpty)
            #expect(try await Self.query(store).firstOccurredAt == nil)
            let seen = Self.row(at: -3 * 24 * Self.hour)
            try await store.add(seen)
            try await store.add(Self.row(at: Self.hour))                                   // later than the query
            try await store.add(Self.row(at: -Self.hour, status: .declined))               // declined
            try await store.add(Self.row(at: -Self.hour, counterparty: "FR7630006000011234567890189"))
            let facts = try await Self.query(store)
            #expect(facts.counterpartyCandidates.map(\.id) == [seen.id])
            #expect(try Sealing.open(facts.counterpartyCandidates.first)?.counterpartyAccount.value?.value == "DE89370400440532013000")
            #expect(try await Self.query(store, counterparty: "GB82WEST12345698765432").counterpartyCandidates.isEmpty)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func sumsSaturateAtTheLargestSafeInteger(kind: RepositoryKind) async throws {
        try await kind.withRepository { store in
            for _ in 0..<10 { try await store.add(Self.row(at: -5, amount: Money.amountMinorMax)) }
            let facts = try await Self.query(store)
            #expect(facts.windows.count1h == 10)
            #expect(facts.windows.sum1hMinor == HistoryWindows.sumMinorMax && facts.windows.sum7dMinor == HistoryWindows.sumMinorMax)
        }
    }

    /// A held row a reviewer rejected counts as declined: in no window, not the first, no candidate.
    /// One approved, or still awaiting review, counts.
    @Test(arguments: RepositoryKind.allCases)
    func rowsRejectedInReviewNeverCount(kind: RepositoryKind) async throws {
        try await kind.withRepository { store in
            let rejected = Self.row(at: -8 * 24 * Self.hour + 5, amount: 1, status: .held)
            let approved = Self.row(at: -20, amount: 10, status: .held)
            let waiting = Self.row(at: -30, amount: 100, status: .held)
            for row in [rejected, approved, waiting] { try await store.add(row) }
            for (row, verdict) in [(rejected, Review.Verdict.reject), (approved, .approve)] {
                let review = Review(transactionID: row.id, tenant: Fixtures.tenantA, verdict: verdict, reason: ReviewReason("checked")!,
                                    decidedBy: ClientID(UUID()), decidedAt: Fixtures.now)
                _ = try await store.keeper.commit(AuditedChange(writes: [.decideReview(review)], events: [AuditEvent(
                    scope: .tenant(Fixtures.tenantA), eventType: "review.decided", context: AuditContext(actor: "test"), outcome: .success,
                    resourceType: "transaction", resourceID: row.id.description
                )]))
            }
            let facts = try await Self.query(store)
            #expect(facts.windows.count1h == 2 && facts.windows.sum1hMinor == 110)
            #expect(facts.firstOccurredAt == Self.t.adding(microseconds: -30), "the rejected row, a week older, is not the first")
            #expect(Set(facts.counterpartyCandidates.map(\.id)) == [approved.id, waiting.id])
        }
    }

    /// Reads while writers add rows see whole rows only, and once the writers are done, all of them.
    @Test(arguments: RepositoryKind.allCases)
    func concurrentWritersAreAllCounted(kind: RepositoryKind) async throws {
        try await kind.withRepository { store in
            try await withThrowingTaskGroup(of: Int?.self) { group in
                for index in 0..<32 { group.addTask { try await store.add(Self.row(at: -Int64(index) * 1_000, amount: 10)); return nil } }
                for _ in 0..<8 { group.addTask { try await Self.query(store).windows.count1h } }
                for try await seen in group {
                    if let seen { #expect((0...32).contains(seen)) }
                }
            }
            let facts = try await Self.query(store)
            #expect(facts.windows.count1h == 32 && facts.windows.sum1hMinor == 320)
        }
    }
}
