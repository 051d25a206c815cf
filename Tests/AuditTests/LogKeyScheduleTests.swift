import Domain
import Testing

/// Which key versions sign which checkpoints around a rotation (docs/audit-log.md §5.3).
@Suite struct LogKeyScheduleTests {
    /// Version 2 announced by entry 10; the old key may sign until t = 5,000 ms.
    static let rotated = try! LogKeySchedule(rotations: [.init(version: 2, entryIndex: 10, overlapUntilMs: 5_000)])

    @Test func aLogWithoutRotationsSignsWithVersionOne() {
        #expect(LogKeySchedule().signingVersions(size: 100, previousSize: 50, nowMs: 0) == [1])
        #expect(LogKeySchedule().versions == [1])
    }

    @Test func checkpointsBeforeTheAnnouncementKeepTheOldKey() {
        #expect(Self.rotated.signingVersions(size: 10, previousSize: 3, nowMs: 1_000) == [1])
    }

    @Test func theFirstCheckpointCoveringTheAnnouncementCarriesBothKeysEvenAfterTheOverlap() {
        #expect(Self.rotated.signingVersions(size: 11, previousSize: 10, nowMs: 9_000) == [1, 2])
        #expect(Self.rotated.signingVersions(size: 40, previousSize: 0, nowMs: 9_000) == [1, 2])
    }

    @Test func laterCheckpointsCarryBothKeysDuringTheOverlapThenOnlyTheNewOne() {
        #expect(Self.rotated.signingVersions(size: 30, previousSize: 11, nowMs: 4_999) == [1, 2])
        #expect(Self.rotated.signingVersions(size: 30, previousSize: 11, nowMs: 5_000) == [2])
        #expect(Self.rotated.versions == [1, 2])
        #expect(Self.rotated.currentVersion == 2)
    }

    @Test func rotationsMustComeInOrder() {
        #expect(throws: LogKeySchedule.Invalid.outOfOrder(version: 3, expected: 2)) {
            try LogKeySchedule(rotations: [.init(version: 3, entryIndex: 1, overlapUntilMs: 0)])
        }
        var schedule = Self.rotated
        #expect(throws: LogKeySchedule.Invalid.self) { try schedule.add(.init(version: 3, entryIndex: 9, overlapUntilMs: 0)) }
        #expect(throws: LogKeySchedule.Invalid.self) { try schedule.add(.init(version: 2, entryIndex: 12, overlapUntilMs: 0)) }
        #expect(throws: Never.self) { try schedule.add(.init(version: 3, entryIndex: 12, overlapUntilMs: 0)) }
    }
}
