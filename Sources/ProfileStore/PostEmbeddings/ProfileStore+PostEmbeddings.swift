public import struct Foundation.Date

extension ProfileStore {
    /// Up to `limit` posts after `afterPostID` in id order, each with the content hash stored
    /// with its embedding under `model` (nil when it has none or one of another model).
    public func postsToEmbed(afterPostID: Int64, limit: Int, model: String) async throws(ProfileStoreError) -> [PostToEmbed] {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query(
                """
                SELECT p.id, p.user_id, p.content, p.topics, p.hashtags, p.platform, p.published_at, p.views, p.likes, p.reposts,
                       CASE WHEN e.model = $3 THEN e.content_hash END
                FROM posts p LEFT JOIN post_embeddings e ON e.post_id = p.id
                WHERE p.id > $1 ORDER BY p.id LIMIT $2
                """, [.int64(afterPostID), .int64(Int64(limit)), .text(model)])
            let posts = try Self.decodePosts(rows)
            return try posts.enumerated().map { (row, post) throws(ProfileStoreError) in
                PostToEmbed(post: post, storedContentHash: rows.isNull(row, 10) ? nil : try rows.byteArray(row, 10))
            }
        }
    }

    /// Writes post embeddings in one transaction (insert or replace); rows of posts deleted
    /// meanwhile are skipped. Throws `.invalidInput` for an empty model or a repeated post.
    /// - Returns: the rows written.
    @discardableResult
    public func writePostEmbeddings(_ rows: [PostEmbeddingRow], model: String) async throws(ProfileStoreError) -> Int {
        guard !model.isEmpty else { throw ProfileStoreError(.invalidInput, "post embeddings need a model id") }
        var seen = Set<Int64>(minimumCapacity: rows.count)
        for row in rows where !seen.insert(row.postID).inserted {
            throw ProfileStoreError(.invalidInput, "post \(row.postID) appears twice in one batch of embeddings")
        }
        guard !rows.isEmpty else { return 0 }
        return try await withTables { connection throws(ProfileStoreError) in
            try connection.transaction { () throws(ProfileStoreError) in
                try connection.execute(
                    """
                    CREATE TEMP TABLE IF NOT EXISTS post_embedding_staging (
                        post_id bigint NOT NULL, content_hash bytea NOT NULL, code bytea NOT NULL, terms bytea NOT NULL
                    ) ON COMMIT DELETE ROWS
                    """)
                try connection.copyIn("COPY post_embedding_staging (post_id, content_hash, code, terms) FROM STDIN (FORMAT binary)") {
                    (writer) throws(ProfileStoreError) in
                    for row in rows {
                        try writer.beginRow(fields: 4)
                        try writer.append(.int64(row.postID))
                        try writer.append(.bytea(row.contentHash))
                        try writer.append(.bytea(row.code))
                        try writer.append(.bytea(Self.termBytes(row.terms)))
                    }
                }
                return try connection.query(
                    """
                    INSERT INTO post_embeddings (post_id, model, content_hash, code, terms)
                    SELECT s.post_id, $1, s.content_hash, s.code, s.terms FROM post_embedding_staging s JOIN posts p ON p.id = s.post_id
                    ON CONFLICT (post_id) DO UPDATE SET
                        model = excluded.model, content_hash = excluded.content_hash, code = excluded.code, terms = excluded.terms,
                        embedded_at = now()
                    """, [.text(model)]
                ).affectedRows
            }
        }
    }

    /// Reads the post embeddings of `model` with each post's author, date and engagement: all of
    /// them from `.beginning`, else those written since `watermark` along with the posts whose
    /// embeddings were deleted (apply the deletions first).
    public func postEmbeddings(model: String, changedSince watermark: ChangeWatermark = .beginning) async throws(ProfileStoreError) -> PostEmbeddingChanges {
        let read = try await postEmbeddings(model: model, changedSince: watermark, into: [PostEmbeddingChanges.Entry]()) { entries, row in
            entries.append(
                .init(
                    postID: row.postID, authorID: row.authorID, publishedAt: row.publishedAt, engagementRate: row.engagementRate,
                    code: Array(row.code), terms: Self.terms(fromBytes: row.terms)))
        }
        return PostEmbeddingChanges(entries: read.accumulated, deletedPostIDs: read.deletedPostIDs, watermark: read.watermark)
    }

    /// As ``postEmbeddings(model:changedSince:)``, handing each row's bytes to `add` as they
    /// stream in (one binary `COPY` in a repeatable-read transaction), so a caller builds what
    /// it keeps with no copy per row.
    public func postEmbeddings<Accumulator: Sendable>(
        model: String, changedSince watermark: ChangeWatermark, into initial: Accumulator,
        _ add: @escaping @Sendable (inout Accumulator, PostEmbeddingView) -> Void
    ) async throws(ProfileStoreError) -> (accumulated: Accumulator, deletedPostIDs: [Int64], watermark: ChangeWatermark) {
        try await withTables { connection throws(ProfileStoreError) in
            try connection.transaction(.repeatableRead, readOnly: true) { () throws(ProfileStoreError) in
                let next = ChangeWatermark(transactionID: try connection.query("SELECT pg_snapshot_xmin(pg_current_snapshot())").uint64(0, 0))
                var accumulated = initial
                // COPY takes no parameters: the watermark is our own integer and the model is quoted here.
                let quotedModel = "'" + model.replacingOccurrences(of: "'", with: "''") + "'"
                let since = watermark == .beginning ? "" : " AND e.changed_xid >= '\(watermark.transactionID)'::xid8"
                try connection.copyOut(
                    """
                    COPY (SELECT e.post_id, p.user_id, p.published_at, e.code, e.terms, p.views, p.likes, p.reposts
                          FROM post_embeddings e JOIN posts p ON p.id = e.post_id
                          WHERE e.model = \(quotedModel)\(since)) TO STDOUT (FORMAT binary)
                    """
                ) { (fields) throws(ProfileStoreError) in
                    guard fields.count == 8, let code = fields[3], let terms = fields[4] else {
                        throw ProfileStoreError(.decoding, "a post embeddings row without its code")
                    }
                    // A binary timestamptz is microseconds since 2000-01-01 UTC.
                    let published = Date(timeIntervalSince1970: 946_684_800 + Double(try fields.int64(2)) / 1e6)
                    let views = try fields.int64(5), likes = try fields.int64(6), reposts = try fields.int64(7)
                    add(
                        &accumulated,
                        PostEmbeddingView(
                            postID: try fields.int64(0), authorID: try fields.int64(1), publishedAt: published,
                            engagementRate: (Double(likes) + Double(reposts)) / Double(max(views, 1)), code: code, terms: terms))
                }
                var deleted: [Int64] = []
                if watermark != .beginning {
                    let rows = try connection.query(
                        "SELECT post_id FROM post_embedding_deletions WHERE changed_xid >= $1", [.xid8(watermark.transactionID)])
                    for row in 0..<rows.rowCount { deleted.append(try rows.int64(row, 0)) }
                }
                return (accumulated, deleted, next)
            }
        }
    }

    /// The posts with these ids (unknown ids are left out), in no particular order.
    public func posts(ids: [Int64]) async throws(ProfileStoreError) -> [PostRecord] {
        guard !ids.isEmpty else { return [] }
        return try await withTables { connection throws(ProfileStoreError) in
            try Self.decodePosts(
                connection.query(
                    """
                    SELECT id, user_id, content, topics, hashtags, platform, published_at, views, likes, reposts
                    FROM posts WHERE id = ANY($1)
                    """, [.int64Array(ids)]))
        }
    }

    /// The posts with these ids (unknown ids are left out), and the handles of their authors and
    /// of `alsoHandlesOf` (unknown users are left out), in one statement.
    public func postsWithHandles(ids: [Int64], alsoHandlesOf userIDs: [Int64] = []) async throws(ProfileStoreError) -> (
        posts: [PostRecord], handles: [Int64: String]
    ) {
        guard !ids.isEmpty || !userIDs.isEmpty else { return ([], [:]) }
        return try await withTables { connection throws(ProfileStoreError) in
            // The users' rows come after the posts', with no post id.
            let rows = try connection.query(
                """
                SELECT p.id, p.user_id, p.content, p.topics, p.hashtags, p.platform, p.published_at, p.views, p.likes, p.reposts, u.handle
                FROM posts p JOIN users u ON u.id = p.user_id WHERE p.id = ANY($1)
                UNION ALL
                SELECT NULL, id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, handle FROM users WHERE id = ANY($2)
                """, [.int64Array(ids), .int64Array(userIDs)], prepared: true)
            var posts: [PostRecord] = []
            var handles: [Int64: String] = [:]
            for row in 0..<rows.rowCount {
                handles[try rows.int64(row, 1)] = try rows.string(row, 10)
                if !rows.isNull(row, 0) { posts.append(try Self.decodePost(rows, row)) }
            }
            return (posts, handles)
        }
    }

    /// The axes `model`'s post vectors are projected on: `mean` (d floats) and `components`
    /// (`width` × d floats, row-major), or nil when the model has none (its codes are sparse).
    public func postProjection(model: String) async throws(ProfileStoreError) -> (mean: [Float], components: [Float], width: Int)? {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query("SELECT mean, components, width FROM post_projections WHERE model = $1", [.text(model)])
            guard rows.rowCount == 1 else { return nil }
            let mean = Self.floats(try rows.byteArray(0, 0)), components = Self.floats(try rows.byteArray(0, 1))
            let width = Int(try rows.int64(0, 2))
            guard width > 0, components.count == width * mean.count else {
                throw ProfileStoreError(.decoding, "the projection of \(model) holds \(components.count) floats for \(width) axes of \(mean.count)")
            }
            return (mean, components, width)
        }
    }

    /// Stores `model`'s projection unless one is stored already (the first writer's stays:
    /// read it back with ``postProjection(model:)``).
    public func writePostProjection(model: String, mean: [Float], components: [Float], width: Int) async throws(ProfileStoreError) {
        guard width > 0, components.count == width * mean.count else {
            throw ProfileStoreError(.invalidInput, "\(components.count) floats for \(width) axes of \(mean.count)")
        }
        try await withTables { connection throws(ProfileStoreError) in
            _ = try connection.query(
                "INSERT INTO post_projections (model, mean, components, width) VALUES ($1, $2, $3, $4) ON CONFLICT (model) DO NOTHING",
                [.text(model), .bytea(Self.floatBytes(mean)), .bytea(Self.floatBytes(components)), .int64(Int64(width))]
            ).affectedRows
        }
    }

    static func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } }
    }

    static func floats(_ bytes: [UInt8]) -> [Float] {
        (0..<bytes.count / 4).map { index in
            Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[4 * index + $1]) << (8 * $1) })
        }
    }

    /// The number of posts, and of those with an embedding of `model`.
    public func postEmbeddingCounts(model: String) async throws(ProfileStoreError) -> (posts: Int, embedded: Int) {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query(
                "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM post_embeddings WHERE model = $1)", [.text(model)])
            return (Int(try rows.int64(0, 0)), Int(try rows.int64(0, 1)))
        }
    }

    static func termBytes(_ terms: [UInt32]) -> [UInt8] {
        terms.flatMap { term in (0..<4).map { UInt8(truncatingIfNeeded: term >> (8 * $0)) } }
    }

    static func terms(fromBytes bytes: UnsafeRawBufferPointer) -> [UInt32] {
        (0..<bytes.count / 4).map { bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian }
    }
}
