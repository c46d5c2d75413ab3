/// pgvector's binary wire format for `vector`, both ways.
///
/// `vector`: int16 dimensions, int16 zero, then each float4 big-endian (`vector_send`).
/// The server checks every element is finite on the way in.
enum PGVectorCodec {
    /// Bytes of one encoded `vector` of `dimensions` elements.
    static func vectorSize(dimensions: Int) -> Int { 4 + 4 * dimensions }

    /// Encodes a `vector`; its dimension must fit pgvector's (≤ 16,000, and the wire's int16).
    static func encodeVector(_ values: UnsafeBufferPointer<Float>, into buffer: inout WireBuffer) throws(ProfileStoreError) {
        guard values.count <= ProfileStore.maximumDimensions else {
            throw ProfileStoreError(.invalidInput, "a vector of \(values.count) dimensions; pgvector stores at most \(ProfileStore.maximumDimensions)")
        }
        buffer.append(Int16(values.count))
        buffer.append(Int16(0))
        buffer.appendBigEndian(values)
    }

    /// Decodes a `vector` into `destination` (which has room for exactly its dimensions).
    static func decodeVector(_ bytes: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) throws(ProfileStoreError) {
        let dimensions = try header(bytes, elementSize: 4)
        guard dimensions == destination.count else {
            throw ProfileStoreError(.dimensionMismatch, "a vector of \(dimensions) dimensions where \(destination.count) were expected")
        }
        let source = bytes.baseAddress! + 4
        for index in 0..<dimensions {
            destination[index] = Float(bitPattern: UInt32(bigEndian: source.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
        }
    }

    /// Decodes a `vector` into a new array.
    static func decodeVector(_ bytes: UnsafeRawBufferPointer) throws(ProfileStoreError) -> [Float] {
        let dimensions = try header(bytes, elementSize: 4)
        var values = [Float](repeating: 0, count: dimensions)
        try values.withUnsafeMutableBufferPointer { (destination) throws(ProfileStoreError) in
            try decodeVector(bytes, into: destination)
        }
        return values
    }

    private static func header(_ bytes: UnsafeRawBufferPointer, elementSize: Int) throws(ProfileStoreError) -> Int {
        var reader = WireReader(bytes)
        let dimensions = Int(try reader.read(Int16.self))
        let unused = try reader.read(Int16.self)
        guard dimensions >= 0, unused == 0, reader.remaining == dimensions * elementSize else {
            throw ProfileStoreError(.decoding, "not a pgvector value: \(bytes.count) bytes for \(dimensions) dimensions")
        }
        return dimensions
    }
}
