internal import CLibPQ

public import struct Foundation.Date

/// The rows of one statement, in binary, owned until the result is released.
///
/// Accessors check the value's length against the type asked for and throw
/// `.decoding` on a mismatch, so a schema change shows up as an error, not garbage.
public final class QueryResult {
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    deinit { PQclear(handle) }

    /// The number of rows returned.
    public var rowCount: Int { Int(PQntuples(handle)) }

    /// The number of rows the statement inserted, updated or deleted.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    /// Whether the value at (`row`, `column`) is NULL.
    public func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(handle, Int32(row), Int32(column)) == 1
    }

    /// The raw binary value at (`row`, `column`); empty for NULL.
    func bytes(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer {
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        return UnsafeRawBufferPointer(start: PQgetvalue(handle, Int32(row), Int32(column)), count: length)
    }

    /// An `int2`, `int4` or `int8` value.
    public func int64(_ row: Int, _ column: Int) throws(ProfileStoreError) -> Int64 {
        let value = try nonNull(row, column)
        var reader = WireReader(value)
        switch value.count {
        case 8: return try reader.read(Int64.self)
        case 4: return Int64(try reader.read(Int32.self))
        case 2: return Int64(try reader.read(Int16.self))
        default: throw mismatch(row, column, "an integer")
        }
    }

    /// An `xid8` value.
    public func uint64(_ row: Int, _ column: Int) throws(ProfileStoreError) -> UInt64 {
        let value = try nonNull(row, column)
        guard value.count == 8 else { throw mismatch(row, column, "an xid8") }
        var reader = WireReader(value)
        return try reader.read(UInt64.self)
    }

    /// A `float8` or `float4` value.
    public func double(_ row: Int, _ column: Int) throws(ProfileStoreError) -> Double {
        let value = try nonNull(row, column)
        var reader = WireReader(value)
        switch value.count {
        case 8: return Double(bitPattern: try reader.read(UInt64.self))
        case 4: return Double(Float(bitPattern: try reader.read(UInt32.self)))
        default: throw mismatch(row, column, "a float")
        }
    }

    /// A `bool` value.
    public func bool(_ row: Int, _ column: Int) throws(ProfileStoreError) -> Bool {
        let value = try nonNull(row, column)
        guard value.count == 1 else { throw mismatch(row, column, "a bool") }
        return value[0] != 0
    }

    /// A `text` (or `varchar`, `name`) value.
    public func string(_ row: Int, _ column: Int) throws(ProfileStoreError) -> String {
        String(decoding: try nonNull(row, column), as: UTF8.self)
    }

    /// A `bytea` value.
    public func byteArray(_ row: Int, _ column: Int) throws(ProfileStoreError) -> [UInt8] {
        Array(try nonNull(row, column))
    }

    /// A `timestamptz` value.
    public func date(_ row: Int, _ column: Int) throws(ProfileStoreError) -> Date {
        let value = try nonNull(row, column)
        guard value.count == 8 else { throw mismatch(row, column, "a timestamptz") }
        var reader = WireReader(value)
        return PostgresTime.date(fromMicroseconds: try reader.read(Int64.self))
    }

    /// A one-dimensional `text[]` value.
    public func stringArray(_ row: Int, _ column: Int) throws(ProfileStoreError) -> [String] {
        var reader = WireReader(try nonNull(row, column))
        let dimensions = try reader.read(Int32.self)
        _ = try reader.read(Int32.self)
        _ = try reader.read(UInt32.self)
        guard dimensions != 0 else { return [] }
        guard dimensions == 1 else { throw mismatch(row, column, "a one-dimensional array") }
        let count = Int(try reader.read(Int32.self))
        _ = try reader.read(Int32.self)
        var values: [String] = []
        values.reserveCapacity(count)
        for _ in 0..<count {
            let length = Int(try reader.read(Int32.self))
            values.append(String(decoding: try reader.readBytes(length), as: UTF8.self))
        }
        return values
    }

    /// A pgvector `vector` value.
    public func vector(_ row: Int, _ column: Int) throws(ProfileStoreError) -> [Float] {
        try PGVectorCodec.decodeVector(try nonNull(row, column))
    }

    private func nonNull(_ row: Int, _ column: Int) throws(ProfileStoreError) -> UnsafeRawBufferPointer {
        precondition(row < rowCount && column < Int(PQnfields(handle)), "(\(row), \(column)) is outside the result")
        guard !isNull(row, column) else {
            throw ProfileStoreError(.decoding, "column \(columnName(column)) of row \(row) is NULL")
        }
        return bytes(row, column)
    }

    private func columnName(_ column: Int) -> String { String(cString: PQfname(handle, Int32(column))) }

    private func mismatch(_ row: Int, _ column: Int, _ expected: String) -> ProfileStoreError {
        ProfileStoreError(.decoding, "column \(columnName(column)) of row \(row) is not \(expected) (\(bytes(row, column).count) bytes)")
    }
}
