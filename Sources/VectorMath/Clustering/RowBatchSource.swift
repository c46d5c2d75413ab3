/// Rows delivered in batches, for algorithms over data that need not fit in memory
/// (mini-batch k-means): a database cursor, a file read in chunks, a matrix.
public protocol RowBatchSource {
    /// The rows' dimension.
    var dims: Int { get }
    /// The next batch of at most `maxRows` rows, or nil when the pass is over.
    mutating func nextBatch(maxRows: Int) throws(VectorMathError) -> Matrix<Float>?
    /// Starts a new pass from the first row.
    mutating func rewind() throws(VectorMathError)
}

/// The rows of an in-memory matrix, in order.
public struct MatrixBatches: RowBatchSource {
    /// The matrix read.
    public let matrix: Matrix<Float>
    private var position = 0

    /// Batches over the rows of `matrix`.
    public init(_ matrix: Matrix<Float>) { self.matrix = matrix }

    public var dims: Int { matrix.columns }

    public mutating func nextBatch(maxRows: Int) -> Matrix<Float>? {
        guard position < matrix.rows else { return nil }
        let end = min(matrix.rows, position + maxRows)
        let batch = matrix.withUnsafeBufferPointer { values in
            Matrix(columns: matrix.columns, values: Array(values[position * matrix.columns..<end * matrix.columns]))
        }
        position = end
        return batch
    }

    public mutating func rewind() { position = 0 }
}
