import Domain
import Testing

@Suite struct UTCTimestampTests {
    @Test func parsesUTCAndOffsets() throws {
        let utc = try UTCTimestamp.parse(rfc3339: "2026-11-24T09:30:00Z")
        #expect(utc.microsecondsSinceEpoch == 1_795_512_600_000_000)
        #expect(try UTCTimestamp.parse(rfc3339: "2026-11-24T10:30:00+01:00") == utc)
        #expect(try UTCTimestamp.parse(rfc3339: "2026-11-24T04:00:00-05:30") == utc)
        #expect(try UTCTimestamp.parse(rfc3339: "2026-11-24t09:30:00z") == utc)
    }

    @Test func keepsMicrosecondsExactly() throws {
        let stamp = try UTCTimestamp.parse(rfc3339: "2026-11-24T09:30:00.123456Z")
        #expect(stamp.microsecondsSinceEpoch % 1_000_000 == 123_456)
        #expect(stamp.rfc3339 == "2026-11-24T09:30:00.123456Z")
        #expect(try UTCTimestamp.parse(rfc3339: "2026-11-24T09:30:00.5Z").rfc3339 == "2026-11-24T09:30:00.500000Z")
    }

    @Test func epochBoundariesAndLeapDays() throws {
        #expect(try UTCTimestamp.parse(rfc3339: "1970-01-01T00:00:00Z").microsecondsSinceEpoch == 0)
        #expect(try UTCTimestamp.parse(rfc3339: "1969-12-31T23:59:59.999999Z").microsecondsSinceEpoch == -1)
        #expect(try UTCTimestamp.parse(rfc3339: "2024-02-29T00:00:00Z").rfc3339 == "2024-02-29T00:00:00.000000Z")
        #expect(try UTCTimestamp.parse(rfc3339: "2000-02-29T12:00:00Z").rfc3339 == "2000-02-29T12:00:00.000000Z")
        #expect(UTCTimestamp.min.rfc3339 == "0001-01-01T00:00:00.000000Z")
        #expect(UTCTimestamp.max.rfc3339 == "9999-12-31T23:59:59.999999Z")
    }

    @Test(arguments: [
        ("2023-02-29T00:00:00Z", UTCTimestamp.ParseError.outOfRange),
        ("1900-02-29T00:00:00Z", .outOfRange),
        ("2026-13-01T00:00:00Z", .outOfRange),
        ("2026-11-31T00:00:00Z", .outOfRange),
        ("2026-11-24T24:00:00Z", .outOfRange),
        ("2026-11-24T23:59:60Z", .outOfRange),
        ("2026-11-24T09:30:00.1234567Z", .tooPrecise),
        ("2026-11-24T09:30:00", .malformed),
        ("2026-11-24 09:30:00Z", .malformed),
        ("2026-11-24T09:30:00.Z", .malformed),
        ("2026-11-24T09:30Z", .malformed),
        ("2026-11-24T09:30:00+0100", .malformed),
        ("2026-11-24T09:30:00Z ", .malformed),
        ("", .malformed),
        ("0000-01-01T00:00:00Z", .outOfRange),
    ])
    func rejects(text: String, expected: UTCTimestamp.ParseError) {
        #expect(throws: expected) { try UTCTimestamp.parse(rfc3339: text) }
    }

    /// Format then parse gives back the same instant, across the whole range.
    @Test func roundTripsAcrossTheRange() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let micros = Int64.random(
                in: UTCTimestamp.min.microsecondsSinceEpoch...UTCTimestamp.max.microsecondsSinceEpoch, using: &generator
            )
            let stamp = UTCTimestamp(microsecondsSinceEpoch: micros)
            #expect(try UTCTimestamp.parse(rfc3339: stamp.rfc3339) == stamp, "\(micros)")
        }
    }
}
