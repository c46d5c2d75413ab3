internal import Embedding
public import ProfileStore
internal import VectorMath

extension PersonalizationEngine {
    /// A creator's profile and whether their embedding had to be (re)computed.
    public struct ProfileRefresh: Sendable {
        /// The creator with their most recent posts.
        public var profile: ProfileStore.ProfileWithPosts
        /// Whether the embedding was missing or stale and was written just now.
        public var embedded: Bool
    }

    /// Makes sure `userID`'s embedding is current before it is used: a creator with no
    /// embedding, or whose profile document changed since it was embedded (content hash),
    /// is embedded, written to the store and put in the index ("auto-embed on first generation").
    ///
    /// - Parameters:
    ///   - recentPosts: posts to return with the profile (at least the document's `postLimit` are read).
    ///   - force: embed even when the stored embedding is current.
    /// - Throws: `.unknownUser`, `.embedding`, `.store`.
    public func refreshEmbedding(userID: Int64, recentPosts: Int = 50, force: Bool = false) async throws(PersonalizationError) -> ProfileRefresh {
        let profile: ProfileStore.ProfileWithPosts?
        do { profile = try await store.profile(userID: userID, postLimit: max(recentPosts, configuration.postLimit)) } catch { throw .store(error) }
        guard let profile else { throw PersonalizationError(.unknownUser, "there is no creator \(userID)") }
        let document = EmbeddingBackfill.document(profile, postLimit: configuration.postLimit)
        let hash = document.contentHash(model: embedder.modelID)
        guard force || profile.embeddedContentHash != hash || !contains(userID) else {
            return ProfileRefresh(profile: profile, embedded: false)
        }
        let vector: [Float]
        do { vector = try await embedder.embed([document]) } catch { throw .embedding(error) }
        let rows = EmbeddingRows(
            userIDs: [userID], vectors: Matrix(columns: embedder.dimensions, values: vector),
            model: embedder.modelID, contentHashes: [hash])
        do { try await store.writeEmbeddings(rows) } catch { throw .store(error) }
        let report = apply(EmbeddingChanges(userIDs: [userID], vectors: rows.vectors, deletedUserIDs: [], watermark: .beginning))
        guard report.rejected == 0 else {
            throw PersonalizationError(.embedding, "the embedder returned an unusable vector for creator \(userID)")
        }
        return ProfileRefresh(profile: profile, embedded: true)
    }
}
