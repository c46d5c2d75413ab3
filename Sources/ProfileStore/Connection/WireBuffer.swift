/// Bytes in PostgreSQL's binary wire format: big-endian integers and floats, raw UTF-8.
struct WireBuffer {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    var count: Int { bytes.count }

    mutating func append<Integer: FixedWidthInteger>(_ value: Integer) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ value: Float) { append(value.bitPattern) }

    mutating func append(_ value: Double) { append(value.bitPattern) }

    mutating func append(utf8 text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func append(raw other: some Collection<UInt8>) { bytes.append(contentsOf: other) }

    /// Appends `values` as big-endian float4, one pass with no per-element calls.
    mutating func appendBigEndian(_ values: UnsafeBufferPointer<Float>) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: values.count * 4))
        bytes.withUnsafeMutableBytes { raw in
            let destination = raw.baseAddress! + start
            for index in values.indices {
                destination.storeBytes(of: values[index].bitPattern.bigEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
    }

    /// Overwrites 4 bytes at `offset` (a length written before its value was known).
    mutating func overwrite(_ value: Int32, at offset: Int) {
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: offset, as: Int32.self) }
    }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }
}

/// Reads PostgreSQL's binary wire format from bytes the caller keeps alive.
struct WireReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func read<Integer: FixedWidthInteger>(_: Integer.Type) throws(ProfileStoreError) -> Integer {
        let size = MemoryLayout<Integer>.size
        guard remaining >= size else { throw Self.truncated }
        defer { offset += size }
        return Integer(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Integer.self))
    }

    /// The next `count` bytes, without copying.
    mutating func readBytes(_ count: Int) throws(ProfileStoreError) -> UnsafeRawBufferPointer {
        guard count >= 0, remaining >= count else { throw Self.truncated }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    private static var truncated: ProfileStoreError {
        ProfileStoreError(.decoding, "a binary value from the server ends early")
    }
}
