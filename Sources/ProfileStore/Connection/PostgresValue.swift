public import struct Foundation.Date

/// A statement parameter, sent to the server in binary.
///
/// Values never become part of the SQL text: statements name them `$1`, `$2`, … .
public enum PostgresValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int32(Int32)
    case int64(Int64)
    case double(Double)
    /// `real` (float4).
    case real(Float)
    case text(String)
    case bytea([UInt8])
    /// `timestamptz`, to the microsecond.
    case timestamp(Date)
    /// `text[]`, one dimension.
    case textArray([String])
    /// `int8[]`, one dimension.
    case int64Array([Int64])
    /// pgvector `vector`; the statement gives the type (a column, or `$n::vector`).
    case vector([Float])
    /// `xid8`, a transaction id (the change feed's watermark).
    case xid8(UInt64)

    /// The type OID sent with the value; 0 lets the server infer it (pgvector's OID differs per database).
    var typeOID: UInt32 {
        switch self {
        case .null, .vector: 0
        case .bool: 16
        case .int32: 23
        case .int64: 20
        case .double: 701
        case .real: 700
        case .text: 25
        case .bytea: 17
        case .timestamp: 1184
        case .textArray: 1009
        case .int64Array: 1016
        case .xid8: 5069
        }
    }

    /// Appends the value's binary form (without a length prefix); false for NULL.
    /// Throws `.invalidInput` for a vector pgvector cannot hold.
    func encode(into buffer: inout WireBuffer) throws(ProfileStoreError) -> Bool {
        switch self {
        case .null: return false
        case .bool(let value): buffer.append(UInt8(value ? 1 : 0))
        case .int32(let value): buffer.append(value)
        case .int64(let value): buffer.append(value)
        case .double(let value): buffer.append(value)
        case .real(let value): buffer.append(value)
        case .text(let value): buffer.append(utf8: value)
        case .bytea(let value): buffer.append(raw: value)
        case .timestamp(let value): buffer.append(PostgresTime.microseconds(from: value))
        case .textArray(let value): Self.encodeArray(value, elementOID: 25, into: &buffer) { $1.append(utf8: $0) }
        case .int64Array(let value): Self.encodeArray(value, elementOID: 20, into: &buffer) { $1.append($0) }
        case .vector(let value):
            try value.withUnsafeBufferPointer { (values) throws(ProfileStoreError) in try PGVectorCodec.encodeVector(values, into: &buffer) }
        case .xid8(let value): buffer.append(value)
        }
        return true
    }

    /// A one-dimensional array in array_send's layout: dimensions, null flag, element OID,
    /// (size, lower bound), then each element with its length.
    static func encodeArray<Element>(
        _ values: [Element], elementOID: UInt32, into buffer: inout WireBuffer,
        _ encodeElement: (Element, inout WireBuffer) -> Void
    ) {
        buffer.append(Int32(values.isEmpty ? 0 : 1))
        buffer.append(Int32(0))
        buffer.append(elementOID)
        guard !values.isEmpty else { return }
        buffer.append(Int32(values.count))
        buffer.append(Int32(1))
        for value in values {
            let lengthOffset = buffer.count
            buffer.append(Int32(0))
            let start = buffer.count
            encodeElement(value, &buffer)
            buffer.overwrite(Int32(buffer.count - start), at: lengthOffset)
        }
    }
}

/// PostgreSQL's binary time: microseconds since 2000-01-01 00:00:00 UTC.
enum PostgresTime {
    static let epochOffset: Double = 946_684_800

    static func microseconds(from date: Date) -> Int64 {
        Int64(((date.timeIntervalSince1970 - epochOffset) * 1_000_000).rounded())
    }

    static func date(fromMicroseconds value: Int64) -> Date {
        Date(timeIntervalSince1970: Double(value) / 1_000_000 + epochOffset)
    }
}
