public import ProfileStore
internal import VectorMath

extension PersonalizationEngine {
    /// Embeds `posts` now (a creator's own new or edited posts), writes their codes to the store
    /// and puts them in memory, so the next brief-aware context or post search finds them.
    /// - Returns: the posts written (those deleted meanwhile are skipped).
    /// - Throws: `.embedding`, `.store`.
    @discardableResult
    public func embedPosts(_ posts: [PostRecord]) async throws(PersonalizationError) -> Int {
        guard !posts.isEmpty else { return 0 }
        let vectors: [Float]
        do { vectors = try await embedder.embed(posts.map(PostEmbeddingBackfill.document)) } catch { throw .embedding(error) }
        var codec = postCodec.read { $0 }
        if case .sparse = codec, PostCodec.isDense(vectors, dimensions: embedder.dimensions) {
            // Dense vectors need the model's stored axes: without them, the next backfill fits and codes them.
            do { codec = Self.codec(try await store.postProjection(model: embedder.modelID)) } catch { throw .store(error) }
            guard case .projected = codec else { return 0 }
            postCodec.write { $0 = codec }
            invalidateContexts()
        }
        let rows = PostEmbeddingBackfill.rows(posts, vectors: vectors, dimensions: embedder.dimensions, model: embedder.modelID, codec: codec, backend: backend)
        let written: Int
        do { written = try await store.writePostEmbeddings(rows, model: embedder.modelID) } catch { throw .store(error) }
        let entries = zip(posts, rows).map { post, row in
            PostEmbeddingChanges.Entry(
                postID: post.id, authorID: post.userID, publishedAt: post.publishedAt, engagementRate: post.engagementRate, code: row.code,
                terms: row.terms)
        }
        _ = apply(PostEmbeddingChanges(entries: entries, deletedPostIDs: [], watermark: .beginning))
        return written
    }

    /// The codec of a stored projection (`ProfileStore.postProjection(model:)`), sparse without one.
    static func codec(_ stored: (mean: [Float], components: [Float], width: Int)?) -> PostCodec {
        guard let stored else { return .sparse }
        return .projected(PCA(mean: stored.mean, components: Matrix(columns: stored.mean.count, values: stored.components)))
    }

    /// Whether the post has an embedding in memory.
    public func containsPost(_ postID: Int64) -> Bool { posts.read { $0.index.contains(postID) } }
}
