import Domain
import NIOCore
import PostgresNIO

/// `timestamptz` in binary form is microseconds since 2000-01-01T00:00:00Z as an Int64,
/// exactly what `UTCTimestamp` holds: no `Double` on the way in or out.
extension UTCTimestamp: PostgresNonThrowingEncodable, PostgresDecodable {
    static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000

    public static var psqlType: PostgresDataType { .timestamptz }
    public static var psqlFormat: PostgresFormat { .binary }

    public func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeInteger(microsecondsSinceEpoch - UTCTimestamp.postgresEpochMicroseconds)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard type == .timestamptz || type == .timestamp else { throw PostgresDecodingError.Code.typeMismatch }
        guard format == .binary, buffer.readableBytes == 8, let micros = buffer.readInteger(as: Int64.self) else {
            throw PostgresDecodingError.Code.failure
        }
        // 'infinity' and '-infinity' arrive as Int64.max / Int64.min: refuse, never trap.
        let (unix, overflow) = micros.addingReportingOverflow(UTCTimestamp.postgresEpochMicroseconds)
        let stamp = UTCTimestamp(microsecondsSinceEpoch: unix)
        guard !overflow, stamp >= .min, stamp <= .max else { throw PostgresDecodingError.Code.failure }
        self = stamp
    }
}
