internal import CLibPQ

/// Writes the rows of a binary `COPY … FROM STDIN`, sending them in chunks of about 1 MiB.
///
/// Each row is `beginRow(fields:)` then one `append…` per field, in the COPY's column order.
struct CopyInWriter {
    private static let chunkBytes = 1 << 20
    private let handle: OpaquePointer
    private var buffer = WireBuffer(capacity: chunkBytes + (64 << 10))
    private(set) var rows = 0

    init(handle: OpaquePointer) {
        self.handle = handle
        buffer.append(raw: Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00])
        buffer.append(Int32(0))
        buffer.append(Int32(0))
    }

    /// Starts a row of `fields` values; sends the buffered rows when the chunk is full.
    mutating func beginRow(fields: Int) throws(ProfileStoreError) {
        if buffer.count >= Self.chunkBytes { try flush() }
        buffer.append(Int16(fields))
        rows += 1
    }

    /// Appends one field.
    mutating func append(_ value: PostgresValue) throws(ProfileStoreError) {
        let lengthOffset = buffer.count
        buffer.append(Int32(-1))
        let start = buffer.count
        if try value.encode(into: &buffer) { buffer.overwrite(Int32(buffer.count - start), at: lengthOffset) }
    }

    /// Appends one pgvector `vector` field straight from a row of floats.
    mutating func appendVector(_ values: UnsafeBufferPointer<Float>) throws(ProfileStoreError) {
        buffer.append(Int32(PGVectorCodec.vectorSize(dimensions: values.count)))
        try PGVectorCodec.encodeVector(values, into: &buffer)
    }

    /// Sends the trailer and whatever is buffered.
    mutating func finish() throws(ProfileStoreError) {
        buffer.append(Int16(-1))
        try flush()
    }

    private mutating func flush() throws(ProfileStoreError) {
        let sent = buffer.bytes.withUnsafeBytes { bytes in
            PQputCopyData(handle, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        }
        guard sent == 1 else {
            throw ProfileStoreError(.connectionLost, "PostgreSQL: \(String(cString: PQerrorMessage(handle)))")
        }
        buffer.removeAll()
    }
}
