import Domain
import MemoryAdapters
import TestSupport
import Testing

@Suite struct RecordTransactionTests {
    let repository = InMemoryTransactionRepository()
    let clock = ManualClock(Fixtures.now)
    let ids = SequentialIDGenerator()
    let keeper: InMemoryRecordKeeper

    init() {
        keeper = InMemoryRecordKeeper(transactions: repository, clock: clock)
    }
    var fields: FieldProtection { Sealing.protection(keys: repository.keys, keeper: keeper) }
    var record: RecordTransaction {
        RecordTransaction(keeper: keeper, clock: clock, ids: ids, fields: fields, policies: PolicyFixtures.source, history: repository)
    }
    var get: GetTransaction { GetTransaction(repository: repository, keeper: keeper, fields: fields) }

    @Test func recordsAValidDraftAndReadsItBack() async throws {
        let stored = try await record(Fixtures.draft(), tenant: Fixtures.tenantA, context: .unauthenticated)
        #expect(stored.money.amountMinor == 12_345)
        #expect(stored.money.currency.code == "EUR")
        #expect(stored.recordedAt == Fixtures.now)
        #expect(stored.occurredAt.rfc3339 == "2026-11-24T09:30:00.000001Z")
        #expect(try await get(id: stored.id, tenant: Fixtures.tenantA, context: .unauthenticated) == stored)
        let entries = try keeper.entries(of: .tenant(Fixtures.tenantA)).map { try AuditLeaf(decoding: $0) }
        #expect(entries.map(\.eventType) == ["transaction.recorded", "transaction.read"])
        #expect(entries.map(\.index) == [0, 1])
        #expect(entries[1].previousLeafHash == entries[0].leafHash)
        let payload = String(decoding: entries[0].payload, as: UTF8.self)
        #expect(payload.contains(#""amount_minor":12345"#) && payload.contains(stored.id.description))
        #expect(!payload.contains("DE89370400440532013000") && !payload.contains("ACC-001") && !payload.contains("invoice"),
                "no account numbers or free text in audit payloads")
    }

    @Test func reportsEveryInvalidFieldAtOnceAndWritesNothing() async throws {
        var draft = Fixtures.draft()
        draft.accountID = .present("")
        draft.currency = .present("XYZ")
        draft.amountMinor = .present(0)
        let failure = try await #require(throws: ValidationFailed.self) {
            try await record(draft, tenant: Fixtures.tenantA, context: .unauthenticated)
        }
        #expect(Set(failure.fieldErrors.map(\.field)) == ["account_id", "currency", "amount_minor"])
        #expect(repository.count == 0)
        let entries = try keeper.entries(of: .tenant(Fixtures.tenantA)).map { try AuditLeaf(decoding: $0) }
        #expect(entries.count == 1, "a rejected request is audited once")
        let payload = String(decoding: entries[0].payload, as: UTF8.self)
        #expect(payload.contains(#""outcome":"failure""#) && payload.contains(#""field":"currency""#))
        #expect(!payload.contains("XYZ"), "never the rejected content")
    }

    @Test func anEmptyDraftNamesEveryRequiredField() async throws {
        let failure = try await #require(throws: ValidationFailed.self) {
            try await record(TransactionDraft(), tenant: Fixtures.tenantA, context: .unauthenticated)
        }
        #expect(failure.fieldErrors.map(\.field).sorted() == [
            "account_id", "amount_minor", "counterparty_account", "currency", "direction", "kind", "occurred_at",
        ])
        #expect(failure.fieldErrors.allSatisfy { $0.code == "required" })
    }

    @Test func malformedAndUnknownFieldsAreReportedWithTheirReasons() async throws {
        var draft = Fixtures.draft()
        draft.amountMinor = .malformed(reason: "must be a JSON integer of minor units, not a string")
        draft.unknownFields = ["colour"]
        let failure = try await #require(throws: ValidationFailed.self) { try await record(draft, tenant: Fixtures.tenantA, context: .unauthenticated) }
        #expect(failure.fieldErrors.contains(FieldError(
            field: "amount_minor", code: "wrong_type", reason: "must be a JSON integer of minor units, not a string")))
        #expect(failure.fieldErrors.contains { $0.field == "colour" && $0.code == "unknown_field" })
    }

    @Test func occurredAtMayLeadTheClockByFiveMinutesAtMost() async throws {
        let fiveMinutesAhead = Fixtures.now.adding(microseconds: 5 * 60 * 1_000_000).rfc3339
        _ = try await record(Fixtures.draft(occurredAt: fiveMinutesAhead), tenant: Fixtures.tenantA, context: .unauthenticated)
        let tooFar = Fixtures.now.adding(microseconds: 5 * 60 * 1_000_000 + 1).rfc3339
        let failure = try await #require(throws: ValidationFailed.self) {
            try await record(Fixtures.draft(occurredAt: tooFar), tenant: Fixtures.tenantA, context: .unauthenticated)
        }
        #expect(failure.fieldErrors.map(\.code) == ["timestamp_in_future"])
        let before1970 = try await #require(throws: ValidationFailed.self) {
            try await record(Fixtures.draft(occurredAt: "1969-12-31T23:59:59Z"), tenant: Fixtures.tenantA, context: .unauthenticated)
        }
        #expect(before1970.fieldErrors.map(\.code) == ["timestamp_out_of_range"])
    }

    @Test(arguments: [
        ("", "invalid_reference"), (String(repeating: "x", count: 141), "invalid_reference"), ("line\nbreak", "invalid_reference"),
    ])
    func rejectsBadReferences(reference: String, code: String) async throws {
        let failure = try await #require(throws: ValidationFailed.self) {
            try await record(Fixtures.draft(reference: reference), tenant: Fixtures.tenantA, context: .unauthenticated)
        }
        #expect(failure.fieldErrors.map(\.code) == [code])
    }

    @Test func referenceIsOptional() async throws {
        let stored = try await record(Fixtures.draft(reference: nil), tenant: Fixtures.tenantA, context: .unauthenticated)
        #expect(stored.reference == nil)
        let longest = try await record(Fixtures.draft(reference: String(repeating: "é", count: 140)), tenant: Fixtures.tenantA, context: .unauthenticated)
        #expect(longest.reference?.value.count == 140)
    }

    @Test func amountBoundsAreInclusive() async throws {
        _ = try await record(Fixtures.draft(amountMinor: 1), tenant: Fixtures.tenantA, context: .unauthenticated)
        _ = try await record(Fixtures.draft(amountMinor: Money.amountMinorMax), tenant: Fixtures.tenantA, context: .unauthenticated)
        await #expect(throws: ValidationFailed.self) {
            try await record(Fixtures.draft(amountMinor: Money.amountMinorMax + 1), tenant: Fixtures.tenantA, context: .unauthenticated)
        }
    }

    @Test func anotherTenantsTransactionIsNotFound() async throws {
        let stored = try await record(Fixtures.draft(), tenant: Fixtures.tenantA, context: .unauthenticated)
        await #expect(throws: TransactionError.notFound(stored.id)) {
            try await get(id: stored.id, tenant: Fixtures.tenantB, context: .unauthenticated)
        }
        let attempt = try #require(keeper.entries(of: .tenant(Fixtures.tenantB)).first.map { try AuditLeaf(decoding: $0) })
        #expect(attempt.eventType == "transaction.read")
        #expect(String(decoding: attempt.payload, as: UTF8.self).contains(#""outcome":"failure""#),
                "a failed read is audited in the caller's log")
    }
}
