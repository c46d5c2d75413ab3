public import struct Foundation.Date

extension ProfileStore {
    /// One user with their `postLimit` most recent posts, or nil when the user does not exist.
    public func profile(userID: Int64, postLimit: Int) async throws(ProfileStoreError) -> ProfileWithPosts? {
        guard userID > 0 else { return nil }
        let page = try await profiles(afterUserID: userID - 1, limit: 1, postLimit: postLimit)
        return page.first?.user.id == userID ? page[0] : nil
    }

    /// The handles of `userIDs` (unknown ids are left out).
    public func handles(userIDs: [Int64]) async throws(ProfileStoreError) -> [Int64: String] {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query("SELECT id, handle FROM users WHERE id = ANY($1)", [.int64Array(userIDs)], prepared: true)
            var handles: [Int64: String] = [:]
            for row in 0..<rows.rowCount { handles[try rows.int64(row, 0)] = try rows.string(row, 1) }
            return handles
        }
    }

    /// Every user's bio, in user order.
    public func bios() async throws(ProfileStoreError) -> [(userID: Int64, bio: String)] {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query("SELECT id, bio FROM users ORDER BY id")
            return try (0..<rows.rowCount).map { (row) throws(ProfileStoreError) in (try rows.int64(row, 0), try rows.string(row, 1)) }
        }
    }

    /// The clock the data is ranked against: creators' newest posts, newest first, with the
    /// first 1 % of creators (at least one, when there are two or more) passed over, rounded up
    /// to the end of its day (UTC); never later than now. One creator's dates, however far ahead,
    /// move it by one rank at most, which the rounding absorbs while creators post daily; a
    /// store loaded from a fixed data set keeps its recent week. Nil when there are no posts.
    public func dataClock(now: Date = Date()) async throws(ProfileStoreError) -> Date? {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query(
                """
                WITH newest AS (SELECT max(published_at) AS at FROM posts GROUP BY user_id)
                SELECT date_trunc('day', at, 'UTC') + interval '1 day' FROM newest ORDER BY at DESC
                OFFSET (SELECT CASE WHEN count(*) > 1 THEN greatest(1, floor(count(*) * 0.01))::bigint ELSE 0 END FROM newest)
                LIMIT 1
                """)
            guard rows.rowCount > 0 else { return nil }
            return rows.isNull(0, 0) ? nil : min(now, try rows.date(0, 0))
        }
    }

    /// Calls `body` with every post, a page of `pageSize` at a time in id order, so the
    /// whole table never sits in memory. Pages are read by key, each in its own statement.
    public func forEachPostPage(pageSize: Int = 20_000, _ body: ([PostRecord]) async throws(ProfileStoreError) -> Void) async throws(ProfileStoreError) {
        precondition(pageSize > 0, "a page needs at least one post")
        var after: Int64 = 0
        while true {
            let start = after
            let page = try await withTables { connection throws(ProfileStoreError) in
                try Self.decodePosts(
                    connection.query(
                        """
                        SELECT id, user_id, content, topics, hashtags, platform, published_at, views, likes, reposts
                        FROM posts WHERE id > $1 ORDER BY id LIMIT $2
                        """, [.int64(start), .int64(Int64(pageSize))]))
            }
            guard let last = page.last else { return }
            try await body(page)
            after = last.id
        }
    }

    /// Up to `perAuthor` posts of each of `authors` published at or after `since`, each
    /// author's ranked by engagement rate ((likes + reposts) / views), best first.
    public func topPosts(authors: [Int64], since: Date, perAuthor: Int) async throws(ProfileStoreError) -> [PostRecord] {
        try await withTables { connection throws(ProfileStoreError) in
            try Self.decodePosts(
                connection.query(
                    """
                    SELECT p.id, p.user_id, p.content, p.topics, p.hashtags, p.platform, p.published_at, p.views, p.likes, p.reposts
                    FROM unnest($1::bigint[]) AS a (user_id)
                    CROSS JOIN LATERAL (
                        SELECT * FROM posts WHERE posts.user_id = a.user_id AND published_at >= $2
                        ORDER BY (likes::float8 + reposts::float8) / greatest(views, 1) DESC, id LIMIT $3
                    ) p
                    """, [.int64Array(authors), .timestamp(since), .int64(Int64(perAuthor))], prepared: true))
        }
    }

    static func decodePosts(_ rows: QueryResult) throws(ProfileStoreError) -> [PostRecord] {
        try (0..<rows.rowCount).map { (row) throws(ProfileStoreError) in try decodePost(rows, row) }
    }

    /// The post in `row`: columns id, user_id, content, topics, hashtags, platform, published_at,
    /// views, likes, reposts first.
    static func decodePost(_ rows: QueryResult, _ row: Int) throws(ProfileStoreError) -> PostRecord {
        PostRecord(
            id: try rows.int64(row, 0), userID: try rows.int64(row, 1), text: try rows.string(row, 2),
            topics: try rows.stringArray(row, 3), hashtags: try rows.stringArray(row, 4), platform: try rows.string(row, 5),
            publishedAt: try rows.date(row, 6), views: try rows.int64(row, 7), likes: try rows.int64(row, 8), reposts: try rows.int64(row, 9)
        )
    }
}
