extension Matrix where Element == Float {
    /// ‖row‖² of every row.
    ///
    /// - Complexity: O(rows × columns).
    public func squaredRowNorms() -> [Float] {
        withUnsafeBufferPointer { values in
            (0..<rows).map { r in
                var sum: Float = 0
                for j in r * columns..<(r + 1) * columns { sum += values[j] * values[j] }
                return sum
            }
        }
    }

    /// Scales every row to unit L2 norm, so that cosine similarity is the inner product.
    ///
    /// - Throws: ``VectorMathError/Code/nonFiniteValue`` for a row with NaN or ±∞,
    ///   ``VectorMathError/Code/zeroVector`` for a row of norm zero; the matrix is
    ///   unchanged when it throws.
    /// - Complexity: O(rows × columns).
    public mutating func normalizeRows() throws(VectorMathError) {
        let columns = columns
        var norms = [Float](repeating: 0, count: rows)
        try withUnsafeBufferPointer { (elements) throws(VectorMathError) in
            for r in 0..<rows {
                norms[r] = try UnitVector.checkedNorm(UnsafeBufferPointer(rebasing: elements[r * columns..<(r + 1) * columns]), index: r)
            }
        }
        withUnsafeMutableBufferPointer { elements in
            for r in 0..<norms.count {
                let scale = 1 / norms[r]
                for j in r * columns..<(r + 1) * columns { elements[j] *= scale }
            }
        }
    }
}

/// Validation and normalisation of single vectors.
public enum UnitVector {
    /// `vector / ‖vector‖`.
    ///
    /// The norm and the division are taken in double precision, so a vector whose float32 norm
    /// would overflow (components near 3e38) still has its direction, never a row of zeros.
    ///
    /// - Throws: ``VectorMathError/Code/nonFiniteValue`` or ``VectorMathError/Code/zeroVector``.
    public static func normalized(_ vector: [Float]) throws(VectorMathError) -> [Float] {
        let norm = try vector.withUnsafeBufferPointer { (buffer) throws(VectorMathError) in try doubleNorm(buffer, which: "vector") }
        let scale = 1 / Float(norm)
        // The float32 scale whenever it exists, so these rows have the bits every other path
        // (matrix normalisation, the index) gives them; double precision only beyond its range.
        guard scale.isFinite, scale > 0 else { return vector.map { Float(Double($0) / norm) } }
        return vector.map { $0 * scale }
    }

    /// The L2 norm, accumulated in double precision.
    ///
    /// - Throws: ``VectorMathError/Code/nonFiniteValue`` when a component is NaN or
    ///   infinite or the norm is beyond float32's range, ``VectorMathError/Code/zeroVector``
    ///   when the norm is zero or underflows.
    public static func checkedNorm(_ vector: UnsafeBufferPointer<Float>, index: Int?) throws(VectorMathError) -> Float {
        let which = index.map { "row \($0)" } ?? "vector"
        let norm = Float(try doubleNorm(vector, which: which))
        guard norm.isFinite, (1 / norm) > 0 else {
            throw VectorMathError(.nonFiniteValue, "\(which) has a norm beyond float32's range: scale it down")
        }
        guard (1 / norm).isFinite else {
            throw VectorMathError(.zeroVector, "\(which) is a zero vector: it has no direction to compare")
        }
        return norm
    }

    /// The L2 norm in double precision: finite and positive, or an error.
    private static func doubleNorm(_ vector: UnsafeBufferPointer<Float>, which: String) throws(VectorMathError) -> Double {
        var sum: Double = 0
        for (j, x) in vector.enumerated() {
            guard x.isFinite else {
                throw VectorMathError(.nonFiniteValue, "\(which) has a non-finite value (\(x)) at component \(j)")
            }
            sum += Double(x) * Double(x)
        }
        let norm = sum.squareRoot()
        guard norm > 0, norm.isFinite else {
            throw VectorMathError(.zeroVector, "\(which) is a zero vector: it has no direction to compare")
        }
        return norm
    }
}
