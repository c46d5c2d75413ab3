import ArgumentParser
import ProfileStore
import VectorMath

/// `onering bench store`: import and bulk-read speed of embeddings in PostgreSQL,
/// next to pgvector's own exact query, on generated data in a schema of its own.
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "PostgreSQL store: embedding import (rows/s), bulk read into a matrix, change feed, pgvector exact query."
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "Embeddings to generate.") var count: Int = 100_000
    @Option(help: "Rows per import transaction.") var batch: Int = 10_000
    @Option(help: "Import transactions run at once (one connection each).") var connections: Int = 2
    @Option(help: "Seed of the generated vectors.") var seed: UInt64 = 42
    @Option(help: "pgvector exact queries to time (each scans every row).") var queries: Int = 3
    @Flag(help: "Keep the benchmark's schema afterwards.") var keep = false

    func validate() throws {
        guard count > 0, batch > 0, connections > 0, queries >= 0 else {
            throw ValidationError("--count, --batch and --connections must be positive, --queries ≥ 0")
        }
    }

    func run() async throws {
        let dimensions = store.dimensions
        let profileStore = try await store.freshBenchmarkStore(schema: "onering_bench", maximumConnections: connections + 1)
        print("store: schema \(profileStore.configuration.schema), \(count) × \(dimensions) embeddings, batches of \(batch), \(connections) connection(s)")

        let users = (1...count).map { Numbered(line: $0, record: UserRecord(id: Int64($0), handle: "creator_\($0)", name: "Creator \($0)")) }
        var started = now()
        for start in stride(from: 0, to: count, by: batch) {
            _ = try await profileStore.importUsers(Array(users[start..<min(start + batch, count)]))
        }
        print("users import: \(count) rows in \((now() - started).fixed(2)) s")

        let vectors = SyntheticVectors(dims: dimensions, clusters: 100, seed: seed).generate(count: count)
        // Each task copies its batch out of `vectors` when it starts, so the copies never all live at once.
        let batchStarts = Array(stride(from: 0, to: count, by: batch))
        let batchSize = batch
        started = now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func addNext() {
                let start = batchStarts[next]
                next += 1
                group.addTask {
                    let rows = Self.embeddingRows(vectors, from: start, count: min(batchSize, count - start), hash: 0)
                    try await profileStore.writeEmbeddings(rows)
                }
            }
            for _ in 0..<min(connections, batchStarts.count) { addNext() }
            while try await group.next() != nil, next < batchStarts.count { addNext() }
        }
        let importSeconds = now() - started
        print(
            "embedding import: \(count) rows in \(importSeconds.fixed(2)) s, \((Double(count) / importSeconds).fixed(0)) rows/s (binary COPY + upsert; target ≥ 33,000 rows/s)"
        )

        started = now()
        let all = try await profileStore.embeddings()
        let readSeconds = now() - started
        let megabytes = Double(all.vectors.count * 4) / 1_048_576
        print(
            "bulk read: \(all.userIDs.count) rows in \(readSeconds.fixed(2)) s, \((megabytes / readSeconds).fixed(0)) MiB/s into a \(all.vectors.rows) × \(all.vectors.columns) matrix (target ≤ 1.5 s)"
        )
        var mismatches = 0
        all.vectors.withUnsafeBufferPointer { read in
            vectors.withUnsafeBufferPointer { written in
                for (row, userID) in all.userIDs.enumerated() {
                    let source = Int(userID - 1) * dimensions
                    for column in 0..<dimensions where read[row * dimensions + column].bitPattern != written[source + column].bitPattern {
                        mismatches += 1
                        break
                    }
                }
            }
        }
        print(
            "bulk read check: \(mismatches == 0 && all.userIDs.count == count ? "every vector equals what was written, bit for bit" : "\(mismatches) rows differ")"
        )

        // Rewrite 1,000 users with other vectors: the change feed must return exactly them.
        var update = Self.embeddingRows(vectors, from: count - min(1000, count), count: min(1000, count), hash: 1)
        update.userIDs = (1...Int64(update.userIDs.count)).map { $0 }
        try await profileStore.writeEmbeddings(update)
        started = now()
        let changes = try await profileStore.embeddings(changedSince: all.watermark)
        let exact = Set(changes.userIDs) == Set(update.userIDs) && changes.userIDs.count == update.userIDs.count
        print(
            "change feed: \(changes.userIDs.count) rows changed since watermark \(all.watermark) (\(exact ? "exactly the 1,000 rewritten" : "NOT the rewritten rows")), read in \((1e3 * (now() - started)).fixed(1)) ms"
        )

        if queries > 0 {
            var times: [Double] = []
            for query in 0..<queries {
                let vector = vectors.row(query * 997 % count)
                started = now()
                _ = try await profileStore.pool.withConnection { connection throws(ProfileStoreError) in
                    try connection.query(
                        "SELECT user_id FROM profile_embeddings ORDER BY embedding <=> $1::vector LIMIT 10", [.vector(vector)]
                    ).rowCount
                }
                times.append(now() - started)
            }
            print("pgvector exact top-10 (ORDER BY <=>, no index): \((1e3 * times.sorted()[times.count / 2]).fixed(0)) ms per query, median of \(queries)")
        }
        if !keep { try await profileStore.dropSchema(ifMarked: StoreOptions.benchmarkMark) }
    }

    /// Rows `start..<start + count` of `vectors` as embeddings of users `start + 1 …`.
    static func embeddingRows(_ vectors: Matrix<Float>, from start: Int, count: Int, hash: UInt8) -> EmbeddingRows {
        var rows = Matrix<Float>(columns: vectors.columns, capacity: count)
        vectors.withUnsafeBufferPointer { source in
            rows.appendRows(count: count) { destination in
                destination.initialize(from: source.baseAddress! + start * vectors.columns, count: count * vectors.columns)
            }
        }
        return EmbeddingRows(
            userIDs: (start..<start + count).map { Int64($0 + 1) }, vectors: rows, model: "bench",
            contentHashes: Array(repeating: [hash], count: count)
        )
    }
}
