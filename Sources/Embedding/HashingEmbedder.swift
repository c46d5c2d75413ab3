internal import Foundation

/// The offline default: signed feature hashing of a profile's words, word bigrams
/// and hashtags, with sublinear term frequency, optional IDF, and L2 normalisation.
///
/// No network, no model files, deterministic across runs and machines. Text is
/// read as UTF-8 bytes: ASCII letters are lower-cased, ASCII letters, digits and `_`
/// and every non-ASCII character (accents, other scripts, emoji) make up words;
/// everything else (spaces, ASCII and general punctuation such as — … “ ”, control
/// characters) separates them.
/// Words of one ASCII letter and common English stop words are skipped. A word
/// after `#` in a post, and every entry of `hashtags`, is a hashtag feature, apart
/// from the same word in prose. Each feature adds its field's weight
/// (`ProfileDocument.Field.weight`) with a hashed sign to one of `dimensions`
/// buckets; a bucket's total `c` becomes `sign(c)·ln(1 + |c|)`, times the bucket's
/// IDF when one is given.
///
/// A profile with no words at all (an empty name, bio and posts) gets the vector of
/// one reserved feature, so it is never zero; all such profiles share it.
public struct HashingEmbedder: Embedder {
    /// The embedder's settings.
    public struct Configuration: Sendable, Equatable {
        /// The vectors' length. Default 1536.
        public var dimensions: Int
        /// Whether consecutive words also count as a pair. Default true.
        public var bigrams: Bool
        /// Per-bucket IDF weights learned from a corpus, or nil. Default nil.
        public var idf: InverseDocumentFrequency?

        /// A configuration with the defaults above.
        public init(dimensions: Int = 1536, bigrams: Bool = true, idf: InverseDocumentFrequency? = nil) {
            self.dimensions = dimensions
            self.bigrams = bigrams
            self.idf = idf
        }
    }

    /// The settings this embedder uses.
    public let configuration: Configuration

    /// An embedder; throws `.invalidConfiguration` for dimensions below 2 or an IDF of another size.
    public init(configuration: Configuration = Configuration()) throws(EmbeddingError) {
        guard configuration.dimensions >= 2 else {
            throw EmbeddingError(.invalidConfiguration, "the hashing embedder needs at least 2 dimensions")
        }
        if let idf = configuration.idf, idf.weights.count != configuration.dimensions {
            throw EmbeddingError(.invalidConfiguration, "an IDF of \(idf.weights.count) buckets for \(configuration.dimensions) dimensions")
        }
        self.configuration = configuration
    }

    public var dimensions: Int { configuration.dimensions }

    public var modelID: String {
        var id = "onering-hashing-v1-\(dimensions)"
        if !configuration.bigrams { id += "-unigrams" }
        if let idf = configuration.idf { id += "-idf-\(String(idf.fingerprint, radix: 16))" }
        return id
    }

    public func embed(_ documents: [ProfileDocument]) async throws(EmbeddingError) -> [Float] {
        var vectors = [Float](repeating: 0, count: documents.count * dimensions)
        let dimensions = dimensions
        for (index, document) in documents.enumerated() {
            if index % 256 == 0, Task.isCancelled {
                throw EmbeddingError(.cancelled, "embedding cancelled after \(index) of \(documents.count) profiles")
            }
            vectors.withUnsafeMutableBufferPointer { all in
                embed(document, into: UnsafeMutableBufferPointer(rebasing: all[index * dimensions..<(index + 1) * dimensions]))
            }
        }
        return vectors
    }

    /// Embeds one document into `vector` (`dimensions` floats, overwritten).
    /// - Complexity: O(bytes of the document + dimensions), no allocation.
    public func embed(_ document: ProfileDocument, into vector: UnsafeMutableBufferPointer<Float>) {
        precondition(vector.count == dimensions, "a vector of \(vector.count) floats for \(dimensions) dimensions")
        vector.update(repeating: 0)
        var features = 0
        for (field, text) in document.fields {
            features += FeatureScanner.scan(text, field: field, bigrams: configuration.bigrams) { feature, weight in
                let slot = Self.slot(of: feature, dimensions: dimensions)
                vector[slot.bucket] += slot.negative ? -weight : weight
            }
        }
        guard features > 0 else { return writeReservedVector(into: vector) }
        var squares: Float = 0
        for bucket in 0..<dimensions where vector[bucket] != 0 {
            let count = vector[bucket]
            var value = (count < 0 ? -1 : 1) * log1p(abs(count))
            if let idf = configuration.idf { value *= idf.weights[bucket] }
            vector[bucket] = value
            squares += value * value
        }
        // Every bucket can cancel out (opposite signs); fall back to the reserved feature then too.
        guard squares > 0 else { return writeReservedVector(into: vector) }
        let scale = 1 / squares.squareRoot()
        for bucket in 0..<dimensions { vector[bucket] *= scale }
    }

    /// The reserved feature's vector, for profiles with no words.
    private func writeReservedVector(into vector: UnsafeMutableBufferPointer<Float>) {
        vector.update(repeating: 0)
        vector[Self.slot(of: FeatureScanner.emptyProfileFeature, dimensions: dimensions).bucket] = 1
    }

    /// The bucket a feature adds to, and whether it subtracts.
    @inline(__always)
    static func slot(of feature: UInt64, dimensions: Int) -> (bucket: Int, negative: Bool) {
        let mixed = mix(feature)
        return (Int(mixed % UInt64(dimensions)), mixed >> 63 == 1)
    }

    /// SplitMix64's finaliser: FNV-1a's low bits are weak, the bucket and sign need good ones.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
