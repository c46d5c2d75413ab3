public import ProfileStore

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
        let rows = PostEmbeddingBackfill.rows(posts, vectors: vectors, dimensions: embedder.dimensions, model: embedder.modelID)
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

    /// Whether the post has an embedding in memory.
    public func containsPost(_ postID: Int64) -> Bool { posts.read { $0.index.contains(postID) } }
}
