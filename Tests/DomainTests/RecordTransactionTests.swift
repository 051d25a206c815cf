import Domain
import MemoryAdapters
import TestSupport
import Testing

@Suite struct RecordTransactionTests {
    let repository = InMemoryTransactionRepository()
    let clock = ManualClock(Fixtures.now)
    let ids = SequentialIDGenerator()
    var record: RecordTransaction { RecordTransaction(repository: repository, clock: clock, ids: ids) }
    var get: GetTransaction { GetTransaction(repository: repository) }

    @Test func recordsAValidDraftAndReadsItBack() async throws {
        let stored = try await record(Fixtures.draft(), tenant: Fixtures.tenantA)
        #expect(stored.money.amountMinor == 12_345)
        #expect(stored.money.currency.code == "EUR")
        #expect(stored.recordedAt == Fixtures.now)
        #expect(stored.occurredAt.rfc3339 == "2026-11-24T09:30:00.000001Z")
        #expect(try await get(id: stored.id, tenant: Fixtures.tenantA) == stored)
    }

    @Test func reportsEveryInvalidFieldAtOnceAndWritesNothing() async throws {
        var draft = Fixtures.draft()
        draft.accountID = .present("")
        draft.currency = .present("XYZ")
        draft.amountMinor = .present(0)
        let failure = try await #require(throws: ValidationFailed.self) {
            try await record(draft, tenant: Fixtures.tenantA)
        }
        #expect(Set(failure.fieldErrors.map(\.field)) == ["account_id", "currency", "amount_minor"])
        #expect(repository.count == 0)
    }

    @Test func anEmptyDraftNamesEveryRequiredField() async throws {
        let failure = try await #require(throws: ValidationFailed.self) {
            try await record(TransactionDraft(), tenant: Fixtures.tenantA)
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
        let failure = try await #require(throws: ValidationFailed.self) { try await record(draft, tenant: Fixtures.tenantA) }
        #expect(failure.fieldErrors.contains(FieldError(
            field: "amount_minor", code: "wrong_type", reason: "must be a JSON integer of minor units, not a string")))
        #expect(failure.fieldErrors.contains { $0.field == "colour" && $0.code == "unknown_field" })
    }

    @Test func occurredAtMayLeadTheClockByFiveMinutesAtMost() async throws {
        let fiveMinutesAhead = Fixtures.now.adding(microseconds: 5 * 60 * 1_000_000).rfc3339
        _ = try await record(Fixtures.draft(occurredAt: fiveMinutesAhead), tenant: Fixtures.tenantA)
        let tooFar = Fixtures.now.adding(microseconds: 5 * 60 * 1_000_000 + 1).rfc3339
        let failure = try await #require(throws: ValidationFailed.self) {
            try await record(Fixtures.draft(occurredAt: tooFar), tenant: Fixtures.tenantA)
        }
        #expect(failure.fieldErrors.map(\.code) == ["timestamp_in_future"])
        let before1970 = try await #require(throws: ValidationFailed.self) {
            try await record(Fixtures.draft(occurredAt: "1969-12-31T23:59:59Z"), tenant: Fixtures.tenantA)
        }
        #expect(before1970.fieldErrors.map(\.code) == ["timestamp_out_of_range"])
    }

    @Test(arguments: [
        ("", "invalid_reference"), (String(repeating: "x", count: 141), "invalid_reference"), ("line\nbreak", "invalid_reference"),
    ])
    func rejectsBadReferences(reference: String, code: String) async throws {
        let failure = try await #require(throws: ValidationFailed.self) {
            try await record(Fixtures.draft(reference: reference), tenant: Fixtures.tenantA)
        }
        #expect(failure.fieldErrors.map(\.code) == [code])
    }

    @Test func referenceIsOptional() async throws {
        let stored = try await record(Fixtures.draft(reference: nil), tenant: Fixtures.tenantA)
        #expect(stored.reference == nil)
        let longest = try await record(Fixtures.draft(reference: String(repeating: "é", count: 140)), tenant: Fixtures.tenantA)
        #expect(longest.reference?.value.count == 140)
    }

    @Test func amountBoundsAreInclusive() async throws {
        _ = try await record(Fixtures.draft(amountMinor: 1), tenant: Fixtures.tenantA)
        _ = try await record(Fixtures.draft(amountMinor: Money.amountMinorMax), tenant: Fixtures.tenantA)
        await #expect(throws: ValidationFailed.self) {
            try await record(Fixtures.draft(amountMinor: Money.amountMinorMax + 1), tenant: Fixtures.tenantA)
        }
    }

    @Test func anotherTenantsTransactionIsNotFound() async throws {
        let stored = try await record(Fixtures.draft(), tenant: Fixtures.tenantA)
        await #expect(throws: TransactionError.notFound(stored.id)) {
            try await get(id: stored.id, tenant: Fixtures.tenantB)
        }
    }
}
