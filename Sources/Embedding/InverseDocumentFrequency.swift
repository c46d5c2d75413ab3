internal import Foundation

/// Per-bucket IDF weights for the hashing embedder, learned from a corpus of profiles:
/// `ln((1 + n) / (1 + df)) + 1` for a bucket that `df` of `n` documents touch
/// (scikit-learn's smoothed IDF). Codable, so it can be stored and reused; its
/// fingerprint goes into the embedder's model id, so vectors from different IDF
/// tables are never mixed up.
public struct InverseDocumentFrequency: Sendable, Equatable, Codable {
    /// How many documents it was learned from.
    public var documentCount: Int
    /// One weight per bucket.
    public var weights: [Float]

    /// Learns the weights of `documents` for an embedder with `configuration` (its own IDF is ignored).
    public init(documents: [ProfileDocument], configuration: HashingEmbedder.Configuration) {
        let dimensions = configuration.dimensions
        var documentFrequency = [Int](repeating: 0, count: dimensions)
        var touched = [Bool](repeating: false, count: dimensions)
        for document in documents {
            touched.withUnsafeMutableBufferPointer { $0.update(repeating: false) }
            for (field, text) in document.fields {
                _ = FeatureScanner.scan(text, field: field, bigrams: configuration.bigrams) { feature, _ in
                    touched[HashingEmbedder.slot(of: feature, dimensions: dimensions).bucket] = true
                }
            }
            for bucket in 0..<dimensions where touched[bucket] { documentFrequency[bucket] += 1 }
        }
        documentCount = documents.count
        let n = Float(documents.count)
        weights = documentFrequency.map { Float(log(Double((1 + n) / (1 + Float($0))))) + 1 }
    }

    /// A 64-bit hash of the weights' bits.
    public var fingerprint: UInt64 {
        weights.reduce(FNV1a.offset) { FNV1a.step($0, UInt64($1.bitPattern)) }
    }
}
