/// A dense vector's coordinates along fitted axes (a `PCA`), as int8 with one scale: one byte a
/// coordinate plus 8. The code of a dense embedder's post vectors (`SparseCode` keeps a sparse
/// one's components instead).
///
/// Bytes: a marker no sparse code starts with (0xFF 0xFF), the width (UInt16 LE), the scale
/// (Float32 LE), then the values (Int8 each).
public struct ProjectedCode: Sendable, Equatable {
    /// The first two bytes of every projected code.
    public static let marker: [UInt8] = [0xFF, 0xFF]

    /// The coordinates, as multiples of `scale`.
    public private(set) var values: [Int8]
    /// The value of one int8 step.
    public private(set) var scale: Float

    /// The code of projected coordinates (at most 65,535).
    public init(_ coordinates: UnsafeBufferPointer<Float>) {
        precondition(coordinates.count < 65_535, "a projected code holds fewer than 65,535 coordinates")
        let largest = coordinates.reduce(Float(0)) { $0.isFinite && $1.isFinite ? max($0, abs($1)) : $0 }
        scale = largest > 0 ? largest / 127 : 1
        values = coordinates.map { [scale] in $0.isFinite ? Int8((max(-127, min(127, $0 / scale))).rounded()) : 0 }
    }

    /// Decodes ``bytes``; throws `.invalidArgument` for bytes no code writes.
    public init(bytes: [UInt8]) throws(VectorMathError) {
        scale = try bytes.withUnsafeBytes { raw in Result { () throws(VectorMathError) in try Self.header(raw) } }.get().scale
        values = bytes[8...].map { Int8(bitPattern: $0) }
    }

    /// Whether stored bytes are a projected code (rather than a sparse one).
    public static func isProjected(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == marker[0] && bytes[1] == marker[1]
    }

    /// The width and scale of a stored code, checked: the values start at byte 8. Throws
    /// `.invalidArgument` for bytes no code writes.
    public static func header(_ bytes: UnsafeRawBufferPointer) throws(VectorMathError) -> (width: Int, scale: Float) {
        guard bytes.count >= 8, isProjected(bytes) else { throw VectorMathError(.invalidArgument, "not a projected code (\(bytes.count) bytes)") }
        let width = Int(bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self).littleEndian)
        guard bytes.count == 8 + width else { throw VectorMathError(.invalidArgument, "a projected code of \(bytes.count) bytes claims \(width) values") }
        let scale = Float(bitPattern: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian)
        guard scale.isFinite, scale > 0 else { throw VectorMathError(.invalidArgument, "a projected code with scale \(scale)") }
        return (width, scale)
    }

    /// The code as stored.
    public var bytes: [UInt8] {
        Self.marker + [UInt8(values.count & 0xFF), UInt8(values.count >> 8)]
            + (0..<4).map { UInt8(truncatingIfNeeded: scale.bitPattern >> (8 * $0)) } + values.map { UInt8(bitPattern: $0) }
    }
}
