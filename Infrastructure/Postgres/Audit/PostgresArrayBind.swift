import Foundation
import NIOCore
import PostgresNIO

/// One bound parameter holding a one-dimensional PostgreSQL array in binary form, built element by
/// element. A batch binds one array per column (`INSERT … SELECT * FROM unnest($1::uuid[], …)`), so
/// the statement text and the number of parameters stay the same whatever the batch size, and the
/// statement is prepared once per connection. Unlike postgres-nio's own `[T]` encoding, elements
/// may be NULL, and byte strings need no intermediate `Data` or `ByteBuffer` per element.
struct PostgresArrayBind: PostgresDynamicTypeEncodable {
    let psqlType: PostgresDataType
    var psqlFormat: PostgresFormat { .binary }
    private let elementType: PostgresDataType
    private var elements: ByteBuffer
    private(set) var count: Int32 = 0
    private var hasNulls = false

    /// An empty array of `elementType` (sent as `arrayType`), with room for about `bytes` bytes of elements.
    init(of elementType: PostgresDataType, arrayType: PostgresDataType, bytes: Int = 256) {
        self.psqlType = arrayType
        self.elementType = elementType
        self.elements = ByteBufferAllocator().buffer(capacity: bytes)
    }

    static func uuids(capacity: Int) -> Self { Self(of: .uuid, arrayType: .uuidArray, bytes: capacity * 20) }
    static func texts(capacity: Int) -> Self { Self(of: .text, arrayType: .textArray, bytes: capacity * 40) }
    static func int8s(capacity: Int) -> Self { Self(of: .int8, arrayType: .int8Array, bytes: capacity * 12) }
    static func int4s(capacity: Int) -> Self { Self(of: .int4, arrayType: .int4Array, bytes: capacity * 8) }
    static func timestamptzs(capacity: Int) -> Self { Self(of: .timestamptz, arrayType: .timestamptzArray, bytes: capacity * 12) }
    static func byteas(capacity: Int, bytesEach: Int) -> Self { Self(of: .bytea, arrayType: .byteaArray, bytes: capacity * (4 + bytesEach)) }

    /// Appends one element (NULL when nil); its type must be the array's element type.
    mutating func append<Value: PostgresNonThrowingEncodable>(_ value: Value?) {
        count += 1
        guard let value else {
            hasNulls = true
            elements.writeInteger(Int32(-1))
            return
        }
        precondition(Value.psqlType == elementType, "array of \(elementType) given a \(Value.psqlType)")
        let lengthIndex = elements.writerIndex
        elements.writeInteger(Int32(0))
        let start = elements.writerIndex
        value.encode(into: &elements, context: .default)
        elements.setInteger(Int32(elements.writerIndex - start), at: lengthIndex)
    }

    /// Appends one byte string (NULL when nil); the array must be of `bytea`.
    mutating func append(bytes: [UInt8]?) {
        precondition(elementType == .bytea, "bytes appended to an array of \(elementType)")
        guard let bytes else {
            append(nil as Int32?)
            return
        }
        count += 1
        elements.writeInteger(Int32(bytes.count))
        elements.writeBytes(bytes)
    }

    /// PostgreSQL's binary array: dimensions, NULL flag, element type, (length, lower bound 1), elements.
    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeInteger(Int32(count == 0 ? 0 : 1))
        byteBuffer.writeInteger(Int32(hasNulls ? 1 : 0))
        byteBuffer.writeInteger(elementType.rawValue)
        guard count > 0 else { return }
        byteBuffer.writeInteger(count)
        byteBuffer.writeInteger(Int32(1))
        byteBuffer.writeImmutableBuffer(elements)
    }
}
