public import VectorMath

/// How a model's post vectors become codes, and a query its counterpart.
///
/// Sparse vectors (the hashing embedder's: at most ``SparseCode/maximumComponents`` non-zero
/// components on average) keep their components (`SparseCode`). Dense ones (an HTTP model's)
/// keep their coordinates along the top ``projectedWidth`` principal axes of the posts, fitted
/// once per model on the first posts embedded and stored (`ProjectedCode`): 308 bytes a post.
public enum PostCodec: Sendable {
    case sparse
    case projected(PCA)

    /// The axes a dense vector keeps.
    public static let projectedWidth = 300

    /// The codec for vectors like `sample`'s (row-major, `dimensions` columns): sparse when they
    /// average at most ``SparseCode/maximumComponents`` non-zero components, else projected on
    /// axes fitted to them (up to ``projectedWidth``, fewer with few rows or dimensions).
    public static func fitted(to sample: [Float], dimensions: Int, backend: BLASBackend) throws(VectorMathError) -> PostCodec {
        let rows = sample.count / max(dimensions, 1)
        guard isDense(sample, dimensions: dimensions) else { return .sparse }
        guard rows >= 2 else { throw VectorMathError(.invalidArgument, "fitting the axes of dense post vectors needs two posts or more") }
        let width = min(projectedWidth, dimensions, rows - 1)
        return .projected(try PCA.fit(Matrix(columns: dimensions, values: sample), parameters: .init(components: width, sampleSize: 20_000), backend: backend))
    }

    /// Whether vectors like `sample`'s average more than ``SparseCode/maximumComponents`` non-zero components.
    public static func isDense(_ sample: [Float], dimensions: Int) -> Bool {
        let rows = sample.count / max(dimensions, 1)
        return rows >= 1 && sample.count { $0 != 0 } > SparseCode.maximumComponents * rows
    }

    /// The code of a unit vector, as stored.
    public func code(_ vector: UnsafeBufferPointer<Float>, backend: BLASBackend) -> [UInt8] {
        switch self {
        case .sparse: SparseCode(vector).bytes
        case .projected(let axes):
            axes.project(Matrix(columns: vector.count, values: Array(vector)), backend: backend).withUnsafeBufferPointer { ProjectedCode($0).bytes }
        }
    }

    /// What a code is scored against for a unit `query`: the query itself (sparse), or its
    /// coordinates along the axes plus the mean's dot with it, so that code · coordinates +
    /// offset approximates the cosine (projected).
    public func query(_ query: [Float], backend: BLASBackend) -> (vector: [Float], offset: Float) {
        switch self {
        case .sparse: return (query, 0)
        case .projected(let axes):
            let offset = zip(axes.mean, query).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            var coordinates = [Float](repeating: 0, count: axes.components.rows)
            axes.components.withUnsafeBufferPointer { c in
                query.withUnsafeBufferPointer { q in
                    backend.multiply(rows: axes.components.rows, columns: query.count, a: c.baseAddress!, lda: query.count, x: q.baseAddress!, y: &coordinates)
                }
            }
            return (coordinates, offset)
        }
    }
}
