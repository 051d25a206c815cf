/// An instant in UTC with microsecond resolution, held as an integer so that it survives
/// every round trip (JSON, PostgreSQL `timestamptz`) exactly. `Date` is a `Double` and
/// loses microseconds for present-day instants.
public struct UTCTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let microsecondsSinceEpoch: Int64

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z: the RFC 3339 range.
    public static let min = UTCTimestamp(microsecondsSinceEpoch: -62_135_596_800_000_000)
    public static let max = UTCTimestamp(microsecondsSinceEpoch: 253_402_300_799_999_999)

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    public static func < (lhs: UTCTimestamp, rhs: UTCTimestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// Whole milliseconds since the Unix epoch, 0 for earlier instants: the unit of audit-log
    /// entry times and of UUIDv7 ids.
    public var unixMillisecondsClamped: UInt64 {
        UInt64(Swift.max(0, microsecondsSinceEpoch / 1_000))
    }

    /// Whole seconds since the Unix epoch, rounded down: the unit of JWT times (`iat`, `exp`).
    public var unixSeconds: Int64 {
        let (quotient, remainder) = microsecondsSinceEpoch.quotientAndRemainder(dividingBy: 1_000_000)
        return remainder < 0 ? quotient - 1 : quotient
    }

    public func adding(microseconds: Int64) -> UTCTimestamp {
        UTCTimestamp(microsecondsSinceEpoch: microsecondsSinceEpoch + microseconds)
    }

    /// RFC 3339 in UTC with exactly six fractional digits: `2026-11-24T09:30:00.000000Z`.
    /// Fixed width, so the text sorts like the instant.
    public var description: String { rfc3339 }

    public var rfc3339: String {
        precondition(self >= .min && self <= .max, "timestamp outside the RFC 3339 range")
        let micros = microsecondsSinceEpoch
        let perDay: Int64 = 86_400_000_000
        let days = micros >= 0 ? micros / perDay : (micros - perDay + 1) / perDay
        let inDay = micros - days * perDay
        let (year, month, day) = CivilCalendar.civil(fromDays: days)
        let seconds = inDay / 1_000_000
        let fraction = inDay % 1_000_000
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
            + pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
            + "." + pad(fraction, 6) + "Z"
    }

    private func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: Swift.max(0, width - digits.count)) + digits
    }
}

extension UTCTimestamp {
    public enum ParseError: Error, Equatable, Sendable {
        case malformed
        case outOfRange
        case tooPrecise
    }

    /// Parses an RFC 3339 `date-time` (`2026-11-24T09:30:00Z`, `…T10:30:00.25+01:00`).
    /// At most six fractional digits are accepted: more would be silently truncated, so they are refused.
    /// Leap seconds (`:60`) are refused too, since nothing downstream can represent them.
    public static func parse(rfc3339 text: String) throws(ParseError) -> UTCTimestamp {
        var scanner = DigitScanner(Array(text.utf8))
        let year = try scanner.number(4)
        try scanner.expect(UInt8(ascii: "-"))
        let month = try scanner.number(2)
        try scanner.expect(UInt8(ascii: "-"))
        let day = try scanner.number(2)
        try scanner.expect(oneOf: [UInt8(ascii: "T"), UInt8(ascii: "t")])
        let hour = try scanner.number(2)
        try scanner.expect(UInt8(ascii: ":"))
        let minute = try scanner.number(2)
        try scanner.expect(UInt8(ascii: ":"))
        let second = try scanner.number(2)
        let fraction = try scanner.fraction()
        let offsetSeconds = try scanner.offset()
        guard scanner.atEnd else { throw .malformed }

        guard year >= 1, (1...12).contains(month), day >= 1,
              day <= CivilCalendar.daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60
        else { throw .outOfRange }

        let days = CivilCalendar.days(fromYear: year, month: month, day: day)
        let secondsOfDay = hour * 3600 + minute * 60 + second
        let micros = (days * 86_400 + secondsOfDay - offsetSeconds) * 1_000_000 + fraction
        let stamp = UTCTimestamp(microsecondsSinceEpoch: micros)
        guard stamp >= .min, stamp <= .max else { throw .outOfRange }
        return stamp
    }
}

/// A cursor over ASCII digits for the RFC 3339 grammar; every failure is `malformed`.
private struct DigitScanner {
    let bytes: [UInt8]
    var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    private func digit(at index: Int) -> Int64? {
        guard index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 else { return nil }
        return Int64(bytes[index] - 0x30)
    }

    mutating func number(_ width: Int) throws(UTCTimestamp.ParseError) -> Int64 {
        var value: Int64 = 0
        for _ in 0..<width {
            guard let d = digit(at: position) else { throw .malformed }
            value = value * 10 + d
            position += 1
        }
        return value
    }

    mutating func expect(_ byte: UInt8) throws(UTCTimestamp.ParseError) {
        try expect(oneOf: [byte])
    }

    mutating func expect(oneOf choices: [UInt8]) throws(UTCTimestamp.ParseError) {
        guard position < bytes.count, choices.contains(bytes[position]) else { throw .malformed }
        position += 1
    }

    /// `.d{1,6}` as microseconds, or 0 when absent.
    mutating func fraction() throws(UTCTimestamp.ParseError) -> Int64 {
        guard position < bytes.count, bytes[position] == UInt8(ascii: ".") else { return 0 }
        position += 1
        var micros: Int64 = 0
        var count = 0
        while let d = digit(at: position) {
            count += 1
            guard count <= 6 else { throw .tooPrecise }
            micros = micros * 10 + d
            position += 1
        }
        guard count > 0 else { throw .malformed }
        for _ in count..<6 { micros *= 10 }
        return micros
    }

    /// `Z` or `±HH:MM`, as seconds east of UTC.
    mutating func offset() throws(UTCTimestamp.ParseError) -> Int64 {
        guard position < bytes.count else { throw .malformed }
        let sign = bytes[position]
        position += 1
        if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") { return 0 }
        guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { throw .malformed }
        let hours = try number(2)
        try expect(UInt8(ascii: ":"))
        let minutes = try number(2)
        guard hours < 24, minutes < 60 else { throw .outOfRange }
        let seconds = hours * 3600 + minutes * 60
        return sign == UInt8(ascii: "+") ? seconds : -seconds
    }
}

/// Proleptic Gregorian calendar arithmetic on day counts since 1970-01-01
/// (H. Hinnant's `days_from_civil` / `civil_from_days`), integers only.
enum CivilCalendar {
    static func isLeap(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func days(fromYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
