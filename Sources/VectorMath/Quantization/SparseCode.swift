/// A unit vector kept compactly as its largest components: up to ``maximumComponents``
/// (dimension, int8 value) pairs and one scale, 3 bytes a component plus 6.
///
/// Made for the hashing embedder's post vectors, which have fewer non-zero components than
/// that (one per distinct word, word pair and tag), so the code loses only the int8 rounding;
/// of a dense vector it keeps the components of largest magnitude.
///
/// Bytes: component count (UInt16 LE), scale (Float32 LE), the dimensions (UInt16 LE each),
/// then the values (Int8 each).
public struct SparseCode: Sendable, Equatable {
    /// The most components a code keeps.
    public static let maximumComponents = 96

    /// The kept dimensions, ascending.
    public private(set) var dimensions: [UInt16]
    /// Their values, as multiples of `scale`.
    public private(set) var values: [Int8]
    /// The value of one int8 step.
    public private(set) var scale: Float

    /// The code of `vector` (at most 65,536 dimensions).
    public init(_ vector: UnsafeBufferPointer<Float>) {
        precondition(vector.count <= 65_536, "a sparse code addresses at most 65,536 dimensions")
        var kept = vector.indices.filter { vector[$0] != 0 && vector[$0].isFinite }
        if kept.count > Self.maximumComponents {
            kept.sort { (abs(vector[$0]), $1) > (abs(vector[$1]), $0) }
            kept = Array(kept.prefix(Self.maximumComponents)).sorted()
        }
        let largest = kept.reduce(Float(0)) { max($0, abs(vector[$1])) }
        scale = largest > 0 ? largest / 127 : 1
        dimensions = kept.map { UInt16($0) }
        values = kept.map { [scale] in Int8((vector[$0] / scale).rounded()) }
    }

    /// Decodes ``bytes``; throws `.invalidArgument` for bytes no code writes.
    public init(bytes: [UInt8]) throws(VectorMathError) {
        let header = try bytes.withUnsafeBytes { raw in Result { () throws(VectorMathError) in try Self.header(raw) } }.get()
        let count = header.count
        scale = header.scale
        dimensions = (0..<count).map { UInt16(bytes[6 + 2 * $0]) | UInt16(bytes[7 + 2 * $0]) << 8 }
        values = (0..<count).map { Int8(bitPattern: bytes[6 + 2 * count + $0]) }
    }

    /// The component count and scale of a stored code, checked: the dimensions start at byte 6
    /// (UInt16 LE each), the values after them. Throws `.invalidArgument` for bytes no code writes.
    public static func header(_ bytes: UnsafeRawBufferPointer) throws(VectorMathError) -> (count: Int, scale: Float) {
        guard bytes.count >= 6 else { throw VectorMathError(.invalidArgument, "a sparse code of \(bytes.count) bytes") }
        let count = Int(bytes.loadUnaligned(as: UInt16.self).littleEndian)
        guard count <= maximumComponents, bytes.count == 6 + 3 * count else {
            throw VectorMathError(.invalidArgument, "a sparse code of \(bytes.count) bytes claims \(count) components")
        }
        let scale = Float(bitPattern: bytes.loadUnaligned(fromByteOffset: 2, as: UInt32.self).littleEndian)
        guard scale.isFinite, scale > 0 else { throw VectorMathError(.invalidArgument, "a sparse code with scale \(scale)") }
        return (count, scale)
    }

    /// The code as stored.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(6 + 3 * dimensions.count)
        bytes += [UInt8(dimensions.count & 0xFF), UInt8(dimensions.count >> 8)]
        bytes += (0..<4).map { UInt8(truncatingIfNeeded: scale.bitPattern >> (8 * $0)) }
        for dimension in dimensions { bytes += [UInt8(dimension & 0xFF), UInt8(dimension >> 8)] }
        bytes += values.map { UInt8(bitPattern: $0) }
        return bytes
    }

    /// The dot product with a dense vector, which must cover every kept dimension.
    @inlinable
    public func dot(_ dense: UnsafeBufferPointer<Float>) -> Float {
        var sum: Float = 0
        for index in dimensions.indices { sum += Float(values[index]) * dense[Int(dimensions[index])] }
        return sum * scale
    }
}
