/// Turns profile documents into unit vectors.
///
/// Implementations return one L2-normalised, finite, non-zero vector of
/// `dimensions` floats per document, in order, and stop with `.cancelled` when
/// the task is cancelled between batches.
public protocol Embedder: Sendable {
    /// Identifies the model (and its settings) in the store, next to each vector.
    var modelID: String { get }
    /// The length of every vector.
    var dimensions: Int { get }
    /// Embeds `documents`; the result is row-major, `documents.count × dimensions`.
    func embed(_ documents: [ProfileDocument]) async throws(EmbeddingError) -> [Float]
}
