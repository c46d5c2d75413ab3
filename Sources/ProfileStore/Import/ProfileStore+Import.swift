extension ProfileStore {
    /// What one import batch did.
    public struct ImportCounts: Sendable, Equatable {
        /// Rows that did not exist.
        public var inserted = 0
        /// Rows that existed with other values.
        public var updated = 0
        /// Rows that existed with the same values (left untouched).
        public var unchanged = 0

        /// Counts of zero.
        public init() {}

        /// Adds another batch's counts.
        public static func += (lhs: inout ImportCounts, rhs: ImportCounts) {
            lhs.inserted += rhs.inserted
            lhs.updated += rhs.updated
            lhs.unchanged += rhs.unchanged
        }
    }

    /// Upserts one batch of users in one transaction: all of it or none.
    ///
    /// A row equal to the stored one is not rewritten, so importing the same file
    /// twice changes nothing. Throws `.invalidInput` (naming the line) for a handle
    /// that belongs to another user already stored.
    public func importUsers(_ users: [Numbered<UserRecord>], source: String = "users") async throws(ProfileStoreError) -> ImportCounts {
        guard !users.isEmpty else { return ImportCounts() }
        return try await withTables { connection throws(ProfileStoreError) in
            do throws(ProfileStoreError) {
                return try connection.transaction { () throws(ProfileStoreError) in try Self.upsert(users, source: source, on: connection) }
            } catch  where error.sqlState == "23505" {
                // Another transaction claimed the same handle between the check and the insert.
                throw ProfileStoreError(.invalidInput, "\(source): a handle of this batch was claimed by another user just now", sqlState: error.sqlState)
            }
        }
    }

    /// Upserts one batch of posts in one transaction: all of it or none.
    ///
    /// Throws `.invalidInput` (naming the line) for a post whose user is not stored, and
    /// `.ownedElsewhere` for a post id that belongs to another creator (post ids are global
    /// and never change author). Equal rows are left untouched, as for users.
    public func importPosts(_ posts: [Numbered<PostRecord>], source: String = "posts") async throws(ProfileStoreError) -> ImportCounts {
        guard !posts.isEmpty else { return ImportCounts() }
        return try await withTables { connection throws(ProfileStoreError) in
            try connection.transaction { () throws(ProfileStoreError) in try Self.upsert(posts, source: source, on: connection) }
        }
    }

    /// What a whole-file import has written so far.
    public struct ImportProgress: Sendable {
        /// Users and posts written (inside the transaction, not yet committed).
        public var users = 0, posts = 0
        /// Users and posts in the files.
        public var totalUsers = 0, totalPosts = 0
    }

    /// Imports files of users and then posts in ONE transaction, `batchSize` rows per
    /// statement: a bad reference or a taken handle anywhere leaves the store as it was.
    /// A post may name a user of the same import. `progress` hears after every batch.
    public func importProfiles(
        users: [Numbered<UserRecord>], usersSource: String = "users",
        posts: [Numbered<PostRecord>], postsSource: String = "posts",
        batchSize: Int = 10_000, progress: @escaping @Sendable (ImportProgress) -> Void = { _ in }
    ) async throws(ProfileStoreError) -> (users: ImportCounts, posts: ImportCounts) {
        precondition(batchSize > 0, "a batch needs at least one row")
        return try await withTables { connection throws(ProfileStoreError) in
            try connection.transaction { () throws(ProfileStoreError) in
                var done = ImportProgress(totalUsers: users.count, totalPosts: posts.count)
                var userCounts = ImportCounts(), postCounts = ImportCounts()
                for start in stride(from: 0, to: users.count, by: batchSize) {
                    let batch = Array(users[start..<min(start + batchSize, users.count)])
                    userCounts += try Self.upsert(batch, source: usersSource, on: connection)
                    done.users += batch.count
                    progress(done)
                }
                for start in stride(from: 0, to: posts.count, by: batchSize) {
                    let batch = Array(posts[start..<min(start + batchSize, posts.count)])
                    postCounts += try Self.upsert(batch, source: postsSource, on: connection)
                    done.posts += batch.count
                    progress(done)
                }
                return (userCounts, postCounts)
            }
        }
    }

    /// The error of a handle another user holds (the same key: case and Unicode form aside).
    static func handleTaken(line: Int64, handle: String, owner: Int64?, source: String) -> ProfileStoreError {
        ProfileStoreError(.invalidInput, "\(source) line \(line): handle \"\(handle)\" already belongs to \(owner.map { "user \($0)" } ?? "another user")")
    }

    /// Stages and upserts users inside the caller's transaction.
    static func upsert(_ users: [Numbered<UserRecord>], source: String, on connection: PostgresConnection) throws(ProfileStoreError) -> ImportCounts {
        try connection.execute(
            """
            CREATE TEMP TABLE IF NOT EXISTS user_staging (
                line integer NOT NULL, id bigint NOT NULL, handle text NOT NULL, handle_key text NOT NULL,
                display_name text NOT NULL, bio text NOT NULL
            ) ON COMMIT DELETE ROWS;
            TRUNCATE user_staging
            """)
        try connection.copyIn("COPY user_staging (line, id, handle, handle_key, display_name, bio) FROM STDIN (FORMAT binary)") {
            (writer) throws(ProfileStoreError) in
            for numbered in users {
                let user = numbered.record
                try writer.beginRow(fields: 6)
                try writer.append(.int32(Int32(numbered.line)))
                try writer.append(.int64(user.id))
                try writer.append(.text(user.handle))
                try writer.append(.text(user.handleKey))
                try writer.append(.text(user.name))
                try writer.append(.text(user.bio))
            }
        }
        // A handle is taken when another user holds the same key (case and Unicode form aside),
        // in the store or earlier in this batch.
        let taken = try connection.query(
            """
            SELECT s.line, s.handle, coalesce(
                (SELECT u.id FROM users u WHERE u.handle_key = s.handle_key AND u.id <> s.id),
                (SELECT min(o.id) FROM user_staging o WHERE o.handle_key = s.handle_key AND o.id <> s.id AND o.line < s.line)) AS owner
            FROM user_staging s
            WHERE EXISTS (SELECT 1 FROM users u WHERE u.handle_key = s.handle_key AND u.id <> s.id)
               OR EXISTS (SELECT 1 FROM user_staging o WHERE o.handle_key = s.handle_key AND o.id <> s.id AND o.line < s.line)
            ORDER BY s.line LIMIT 1
            """)
        if taken.rowCount > 0 {
            throw Self.handleTaken(line: try taken.int64(0, 0), handle: try taken.string(0, 1), owner: try taken.int64(0, 2), source: source)
        }
        let written = try connection.query(
            """
            INSERT INTO users AS u (id, handle, handle_key, display_name, bio)
            SELECT id, handle, handle_key, display_name, bio FROM user_staging
            ON CONFLICT (id) DO UPDATE SET
                handle = EXCLUDED.handle, handle_key = EXCLUDED.handle_key, display_name = EXCLUDED.display_name,
                bio = EXCLUDED.bio, updated_at = now()
            WHERE (u.handle, u.display_name, u.bio) IS DISTINCT FROM (EXCLUDED.handle, EXCLUDED.display_name, EXCLUDED.bio)
            RETURNING (xmax = 0)
            """)
        return try Self.counts(written, total: users.count)
    }

    /// Stages and upserts posts inside the caller's transaction.
    static func upsert(_ posts: [Numbered<PostRecord>], source: String, on connection: PostgresConnection) throws(ProfileStoreError) -> ImportCounts {
        try connection.execute(
            """
            CREATE TEMP TABLE IF NOT EXISTS post_staging (
                line integer NOT NULL, id bigint NOT NULL, user_id bigint NOT NULL, content text NOT NULL,
                topics text[] NOT NULL, hashtags text[] NOT NULL, platform text NOT NULL,
                published_at timestamptz NOT NULL, views bigint NOT NULL, likes bigint NOT NULL, reposts bigint NOT NULL
            ) ON COMMIT DELETE ROWS;
            TRUNCATE post_staging
            """)
        try connection.copyIn(
            """
            COPY post_staging (line, id, user_id, content, topics, hashtags, platform, published_at, views, likes, reposts)
            FROM STDIN (FORMAT binary)
            """
        ) { (writer) throws(ProfileStoreError) in
            for numbered in posts {
                let post = numbered.record
                try writer.beginRow(fields: 11)
                try writer.append(.int32(Int32(numbered.line)))
                try writer.append(.int64(post.id))
                try writer.append(.int64(post.userID))
                try writer.append(.text(post.text))
                try writer.append(.textArray(post.topics))
                try writer.append(.textArray(post.hashtags))
                try writer.append(.text(post.platform))
                try writer.append(.timestamp(post.publishedAt))
                try writer.append(.int64(post.views))
                try writer.append(.int64(post.likes))
                try writer.append(.int64(post.reposts))
            }
        }
        let orphan = try connection.query(
            """
            SELECT s.line, s.user_id FROM post_staging s
            WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id)
            ORDER BY s.line LIMIT 1
            """)
        if orphan.rowCount > 0 {
            throw ProfileStoreError(
                .invalidInput, "\(source) line \(try orphan.int64(0, 0)): field \"user_id\" names user \(try orphan.int64(0, 1)), who is not imported")
        }
        // A post belongs to the creator who first wrote it: the update never moves it, and the
        // check after it (which also sees a concurrent writer's row once its insert waited on
        // ours) refuses the whole batch.
        let written = try connection.query(
            """
            INSERT INTO posts AS p (id, user_id, content, topics, hashtags, platform, published_at, views, likes, reposts)
            SELECT id, user_id, content, topics, hashtags, platform, published_at, views, likes, reposts FROM post_staging
            ON CONFLICT (id) DO UPDATE SET
                content = EXCLUDED.content, topics = EXCLUDED.topics,
                hashtags = EXCLUDED.hashtags, platform = EXCLUDED.platform, published_at = EXCLUDED.published_at,
                views = EXCLUDED.views, likes = EXCLUDED.likes, reposts = EXCLUDED.reposts
            WHERE p.user_id = EXCLUDED.user_id
                AND (p.content, p.topics, p.hashtags, p.platform, p.published_at, p.views, p.likes, p.reposts)
                IS DISTINCT FROM (EXCLUDED.content, EXCLUDED.topics, EXCLUDED.hashtags,
                    EXCLUDED.platform, EXCLUDED.published_at, EXCLUDED.views, EXCLUDED.likes, EXCLUDED.reposts)
            RETURNING (xmax = 0)
            """)
        let taken = try connection.query(
            """
            SELECT s.line, s.id FROM post_staging s
            JOIN posts p ON p.id = s.id AND p.user_id <> s.user_id
            ORDER BY s.line LIMIT 1
            """)
        if taken.rowCount > 0 {
            throw ProfileStoreError(.ownedElsewhere, "\(source) line \(try taken.int64(0, 0)): post \(try taken.int64(0, 1)) belongs to another creator")
        }
        return try Self.counts(written, total: posts.count)
    }

    /// Counts from `RETURNING (xmax = 0)`: true for an inserted row, false for an updated one.
    private static func counts(_ written: QueryResult, total: Int) throws(ProfileStoreError) -> ImportCounts {
        var counts = ImportCounts()
        for row in 0..<written.rowCount {
            if try written.bool(row, 0) { counts.inserted += 1 } else { counts.updated += 1 }
        }
        counts.unchanged = total - written.rowCount
        return counts
    }
}
