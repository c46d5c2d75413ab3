public import Embedding
public import ProfileStore
public import VectorMath

/// Embeds every post whose embedding is missing or stale and writes its compact code and
/// lexical terms to the store, one page of posts at a time (one transaction each).
///
/// A post is stale when the content hash of its document (its text, hashtags and topics)
/// under the embedder's model differs from the one stored, so a second run embeds nothing
/// and an interrupted run resumes where it stopped.
public struct PostEmbeddingBackfill: Sendable {
    /// Where a backfill stands.
    public struct Progress: Sendable, Equatable {
        /// Posts looked at.
        public var posts = 0
        /// Posts embedded and written.
        public var embedded = 0
        /// Posts skipped because their embedding is current.
        public var current = 0
        /// The last post id looked at.
        public var lastPostID: Int64 = 0
    }

    public let store: ProfileStore
    public let embedder: any Embedder
    /// Posts per page. Default 5,000.
    public let pageSize: Int
    /// Embed every post, not only missing or stale ones.
    public let everything: Bool

    /// A backfill of `store` with `embedder`, whose dimension must be the store's.
    public init(store: ProfileStore, embedder: any Embedder, pageSize: Int = 5_000, everything: Bool = false) {
        precondition(pageSize > 0, "a page needs at least one post")
        self.store = store
        self.embedder = embedder
        self.pageSize = pageSize
        self.everything = everything
    }

    /// The document a post becomes: the post alone, with its hashtags and topics.
    public static func document(_ post: PostRecord) -> ProfileDocument {
        ProfileDocument(
            name: "", bio: "", posts: [.init(text: post.text, hashtags: post.hashtags, topics: post.topics, publishedAt: post.publishedAt)],
            postLimit: 1)
    }

    /// The rows of `posts` embedded as `vectors` (row-major, one per post), coded by `codec`.
    public static func rows(
        _ posts: [PostRecord], vectors: [Float], dimensions: Int, model: String, codec: PostCodec, backend: BLASBackend
    ) -> [PostEmbeddingRow] {
        vectors.withUnsafeBufferPointer { all in
            posts.enumerated().map { row, post in
                PostEmbeddingRow(
                    postID: post.id,
                    code: codec.code(UnsafeBufferPointer(rebasing: all[row * dimensions..<(row + 1) * dimensions]), backend: backend),
                    terms: LexicalTerms.ofPost(text: post.text, hashtags: post.hashtags, topics: post.topics),
                    contentHash: document(post).contentHash(model: model))
            }
        }
    }

    /// Runs the backfill; `report` sees the progress after every page.
    @discardableResult
    public func run(report: (Progress) -> Void = { _ in }) async throws(EmbeddingBackfill.Failure) -> Progress {
        guard embedder.dimensions == store.configuration.dimensions else {
            throw .embedding(
                EmbeddingError(
                    .invalidConfiguration, "the embedder makes \(embedder.dimensions)-dimensional vectors; the store holds \(store.configuration.dimensions)"))
        }
        var progress = Progress()
        let model = embedder.modelID
        let backend: BLASBackend
        do { backend = try BLASBackend.shared() } catch { throw .embedding(EmbeddingError(.invalidConfiguration, "no BLAS: \(error.message)")) }
        var codec: PostCodec?
        do { codec = try await store.postProjection(model: model).map { PersonalizationEngine.codec($0) } } catch { throw .store(error) }
        while true {
            let page: [PostToEmbed]
            do { page = try await store.postsToEmbed(afterPostID: progress.lastPostID, limit: pageSize, model: model) } catch { throw .store(error) }
            guard let last = page.last else { return progress }
            let stale = page.filter { everything || $0.storedContentHash != Self.document($0.post).contentHash(model: model) }.map(\.post)
            if !stale.isEmpty {
                let vectors: [Float]
                do { vectors = try await embedder.embed(stale.map(Self.document)) } catch { throw .embedding(error) }
                if codec == nil { codec = try await decideCodec(vectors, backend: backend) }
                // Coding is CPU work: off the cooperative threads.
                let (dimensions, chosen) = (embedder.dimensions, codec!)
                let rows = await Offload.run { Self.rows(stale, vectors: vectors, dimensions: dimensions, model: model, codec: chosen, backend: backend) }
                do { try await store.writePostEmbeddings(rows, model: model) } catch { throw .store(error) }
            }
            progress.posts += page.count
            progress.embedded += stale.count
            progress.current += page.count - stale.count
            progress.lastPostID = last.post.id
            report(progress)
        }
    }

    /// The codec for the model, decided on its first vectors: sparse, or projected on axes fitted
    /// to them and stored (another backfill's axes stored first win, and are used).
    private func decideCodec(_ vectors: [Float], backend: BLASBackend) async throws(EmbeddingBackfill.Failure) -> PostCodec {
        let fitted: PostCodec
        do { fitted = try PostCodec.fitted(to: vectors, dimensions: embedder.dimensions, backend: backend) } catch {
            throw .embedding(EmbeddingError(.invalidConfiguration, "fitting the post projection: \(error.message)"))
        }
        guard case .projected(let axes) = fitted else { return .sparse }
        do {
            try await store.writePostProjection(
                model: embedder.modelID, mean: axes.mean, components: axes.components.withUnsafeBufferPointer { Array($0) }, width: axes.components.rows)
            return PersonalizationEngine.codec(try await store.postProjection(model: embedder.modelID))
        } catch {
            throw .store(error)
        }
    }
}
