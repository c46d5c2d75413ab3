public import Embedding
public import ProfileStore
internal import VectorMath

/// Embeds every profile whose embedding is missing or stale and writes the vectors
/// to the store, one page of users at a time.
///
/// A profile is stale when the content hash of its document under the embedder's
/// model differs from the one stored with its vector, so a second run embeds
/// nothing and an interrupted run resumes where it stopped. Each page is written
/// in one transaction.
public struct EmbeddingBackfill: Sendable {
    /// How the walk over the profiles goes.
    public struct Configuration: Sendable {
        /// Users per page (one read, one embed call, one write). Default 1,000.
        public var pageSize: Int
        /// Recent posts per document. Default `ProfileDocument.defaultPostLimit`.
        public var postLimit: Int
        /// Embed every profile, not only missing or stale ones. Default false.
        public var everything: Bool

        /// A configuration with the defaults above.
        public init(pageSize: Int = 1_000, postLimit: Int = ProfileDocument.defaultPostLimit, everything: Bool = false) {
            self.pageSize = pageSize
            self.postLimit = postLimit
            self.everything = everything
        }
    }

    /// Where a backfill stands.
    public struct Progress: Sendable, Equatable {
        /// Profiles looked at.
        public var profiles = 0
        /// Profiles embedded and written.
        public var embedded = 0
        /// Profiles skipped because their embedding is current.
        public var current = 0
        /// The last user id looked at.
        public var lastUserID: Int64 = 0
    }

    /// An error of the store or of the embedder.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case store(ProfileStoreError)
        case embedding(EmbeddingError)

        public var description: String {
            switch self {
            case .store(let error): "\(error)"
            case .embedding(let error): "\(error)"
            }
        }
    }

    public let store: ProfileStore
    public let embedder: any Embedder
    public let configuration: Configuration

    /// A backfill of `store` with `embedder`, whose dimension must be the store's.
    public init(store: ProfileStore, embedder: any Embedder, configuration: Configuration = Configuration()) {
        precondition(configuration.pageSize > 0, "a page needs at least one user")
        self.store = store
        self.embedder = embedder
        self.configuration = configuration
    }

    /// The document a stored profile becomes.
    public static func document(_ profile: ProfileStore.ProfileWithPosts, postLimit: Int) -> ProfileDocument {
        document(user: profile.user, posts: profile.posts, postLimit: postLimit)
    }

    /// The document a user with these posts becomes.
    public static func document(user: UserRecord, posts: [PostRecord], postLimit: Int) -> ProfileDocument {
        ProfileDocument(
            name: user.name, bio: user.bio,
            posts: posts.map { .init(text: $0.text, hashtags: $0.hashtags, topics: $0.topics, publishedAt: $0.publishedAt) },
            postLimit: postLimit
        )
    }

    /// Runs the backfill; `report` sees the progress after every page.
    @discardableResult
    public func run(report: (Progress) -> Void = { _ in }) async throws(Failure) -> Progress {
        guard embedder.dimensions == store.configuration.dimensions else {
            throw .embedding(
                EmbeddingError(
                    .invalidConfiguration, "the embedder makes \(embedder.dimensions)-dimensional vectors; the store holds \(store.configuration.dimensions)"))
        }
        var progress = Progress()
        let model = embedder.modelID
        while true {
            let page: [ProfileStore.ProfileWithPosts]
            do { page = try await store.profiles(afterUserID: progress.lastUserID, limit: configuration.pageSize, postLimit: configuration.postLimit) } catch {
                throw .store(error)
            }
            guard let last = page.last else { return progress }
            var documents: [ProfileDocument] = []
            var userIDs: [Int64] = []
            var hashes: [[UInt8]] = []
            for profile in page {
                let document = Self.document(profile, postLimit: configuration.postLimit)
                let hash = document.contentHash(model: model)
                guard configuration.everything || profile.embeddedContentHash != hash else { continue }
                documents.append(document)
                userIDs.append(profile.user.id)
                hashes.append(hash)
            }
            if !documents.isEmpty {
                let vectors: [Float]
                do { vectors = try await embedder.embed(documents) } catch { throw .embedding(error) }
                let rows = EmbeddingRows(
                    userIDs: userIDs, vectors: Matrix(columns: embedder.dimensions, values: vectors),
                    model: model, contentHashes: hashes
                )
                do { try await store.writeEmbeddings(rows) } catch { throw .store(error) }
            }
            progress.profiles += page.count
            progress.embedded += documents.count
            progress.current += page.count - documents.count
            progress.lastUserID = last.user.id
            report(progress)
        }
    }
}
