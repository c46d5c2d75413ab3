extension ProfileStore {
    /// A user with their most recent posts and the content hash of their stored embedding.
    public struct ProfileWithPosts: Sendable {
        /// The user.
        public var user: UserRecord
        /// The most recent posts, newest first.
        public var posts: [PostRecord]
        /// The content hash stored with the user's embedding, or nil when there is none.
        public var embeddedContentHash: [UInt8]?
    }

    /// Up to `limit` users with ids above `afterUserID`, in id order, each with their
    /// `postLimit` most recent posts: one page of a walk over every profile.
    public func profiles(afterUserID: Int64, limit: Int, postLimit: Int) async throws(ProfileStoreError) -> [ProfileWithPosts] {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query(
                """
                SELECT u.id, u.handle, u.display_name, u.bio, e.content_hash,
                       p.id, p.content, p.topics, p.hashtags, p.platform, p.published_at, p.views, p.likes, p.reposts
                FROM (SELECT id, handle, display_name, bio FROM users WHERE id > $1 ORDER BY id LIMIT $2) u
                LEFT JOIN profile_embeddings e ON e.user_id = u.id
                LEFT JOIN LATERAL (
                    SELECT id, content, topics, hashtags, platform, published_at, views, likes, reposts
                    FROM posts WHERE user_id = u.id ORDER BY published_at DESC, id DESC LIMIT $3
                ) p ON true
                ORDER BY u.id, p.published_at DESC, p.id DESC
                """, [.int64(afterUserID), .int64(Int64(limit)), .int64(Int64(postLimit))], prepared: true)
            var profiles: [ProfileWithPosts] = []
            for row in 0..<rows.rowCount {
                let userID = try rows.int64(row, 0)
                if profiles.last?.user.id != userID {
                    profiles.append(
                        ProfileWithPosts(
                            user: UserRecord(id: userID, handle: try rows.string(row, 1), name: try rows.string(row, 2), bio: try rows.string(row, 3)),
                            posts: [],
                            embeddedContentHash: rows.isNull(row, 4) ? nil : try rows.byteArray(row, 4)
                        ))
                }
                guard !rows.isNull(row, 5) else { continue }
                profiles[profiles.count - 1].posts.append(
                    PostRecord(
                        id: try rows.int64(row, 5), userID: userID, text: try rows.string(row, 6),
                        topics: try rows.stringArray(row, 7), hashtags: try rows.stringArray(row, 8),
                        platform: try rows.string(row, 9), publishedAt: try rows.date(row, 10),
                        views: try rows.int64(row, 11), likes: try rows.int64(row, 12), reposts: try rows.int64(row, 13)
                    ))
            }
            return profiles
        }
    }
}

extension ProfileStore {
    /// How many users, posts and embeddings the store holds.
    public struct TableCounts: Sendable, Equatable {
        public var users: Int
        public var posts: Int
        public var embeddings: Int
    }

    /// Counts the users, posts and embeddings (one statement, one snapshot).
    public func tableCounts() async throws(ProfileStoreError) -> TableCounts {
        try await withTables { connection throws(ProfileStoreError) in
            let counts = try connection.query(
                """
                SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM posts), (SELECT count(*) FROM profile_embeddings)
                """)
            return TableCounts(users: Int(try counts.int64(0, 0)), posts: Int(try counts.int64(0, 1)), embeddings: Int(try counts.int64(0, 2)))
        }
    }
}
