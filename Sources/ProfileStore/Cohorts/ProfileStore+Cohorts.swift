extension ProfileStore {
    /// How many runs are kept; older inactive runs are deleted when a new one is written.
    public static let keptCohortRuns = 5

    /// Writes a cohort run and makes it the active one, in one transaction: a failure
    /// (or a crash) at any point leaves the previous run active and nothing of the new one visible.
    ///
    /// Runs beyond the newest ``keptCohortRuns`` are deleted in the same transaction.
    /// - Throws: `.invalidInput` for cohorts not numbered 0..<k, centroids of the wrong
    ///   dimension, members naming a cohort out of range or a creator twice, or a creator
    ///   that no longer exists (deleted while the run was computed).
    /// - Returns: the new run's id.
    @discardableResult
    public func writeCohortRun(_ run: NewCohortRun) async throws(ProfileStoreError) -> Int64 {
        try validate(run)
        do {
            return try await withTables { connection throws(ProfileStoreError) in
                try connection.transaction { () throws(ProfileStoreError) in
                    let runID = try connection.query(
                        """
                        INSERT INTO cohort_runs (model, k, parameters, stats, objective, iterations)
                        VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6) RETURNING id
                        """,
                        [
                            .text(run.model), .int32(Int32(run.cohorts.count)), .text(run.parametersJSON), .text(run.statsJSON),
                            .double(run.objective), .int32(Int32(run.iterations)),
                        ]
                    ).int64(0, 0)
                    for cohort in run.cohorts {
                        try connection.query(
                            """
                            INSERT INTO cohorts (run_id, cohort, centroid, size, label, terms, traits)
                            VALUES ($1, $2, $3::vector, $4, $5, $6, $7::jsonb)
                            """,
                            [
                                .int64(runID), .int32(Int32(cohort.cohort)), .vector(cohort.centroid), .int32(Int32(cohort.size)),
                                .text(cohort.label), .textArray(cohort.terms), .text(cohort.traitsJSON),
                            ])
                    }
                    let members = run.members
                    try connection.copyIn("COPY cohort_members (run_id, user_id, cohort, similarity) FROM STDIN (FORMAT binary)") {
                        (writer) throws(ProfileStoreError) in
                        for index in members.userIDs.indices {
                            try writer.beginRow(fields: 4)
                            try writer.append(.int64(runID))
                            try writer.append(.int64(members.userIDs[index]))
                            try writer.append(.int32(members.cohorts[index]))
                            try writer.append(.real(members.similarities[index]))
                        }
                    }
                    // Two statements: the one-active index is checked row by row.
                    try connection.query("UPDATE cohort_runs SET active = false WHERE active")
                    try connection.query("UPDATE cohort_runs SET active = true WHERE id = $1", [.int64(runID)])
                    try connection.query(
                        """
                        DELETE FROM cohort_runs WHERE NOT active
                        AND id NOT IN (SELECT id FROM cohort_runs ORDER BY id DESC LIMIT $1)
                        """, [.int64(Int64(Self.keptCohortRuns))])
                    return runID
                }
            }
        } catch  where error.sqlState == "23503" {
            throw ProfileStoreError(
                .invalidInput, "a creator of the run no longer exists (deleted while it was computed); run it again", sqlState: error.sqlState)
        }
    }

    /// The id of the active run, or nil when there is none (a cheap poll).
    public func activeCohortRunID() async throws(ProfileStoreError) -> Int64? {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query("SELECT id FROM cohort_runs WHERE active")
            return rows.rowCount == 0 ? nil : try rows.int64(0, 0)
        }
    }

    /// The newest runs first, at most `limit`.
    public func cohortRuns(limit: Int = 20) async throws(ProfileStoreError) -> [CohortRunRecord] {
        try await runs("ORDER BY id DESC LIMIT $1", [.int64(Int64(limit))])
    }

    /// Run `id`, or nil when there is none (runs past the newest ``keptCohortRuns`` are deleted).
    public func cohortRun(id: Int64) async throws(ProfileStoreError) -> CohortRunRecord? {
        try await runs("WHERE id = $1", [.int64(id)]).first
    }

    /// The active run, or nil when there is none yet.
    public func activeCohortRun() async throws(ProfileStoreError) -> CohortRunRecord? {
        try await runs("WHERE active", []).first
    }

    /// The runs `clause` (our own SQL after `FROM cohort_runs`; values only as parameters) selects.
    private func runs(_ clause: String, _ parameters: [PostgresValue]) async throws(ProfileStoreError) -> [CohortRunRecord] {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query(
                """
                SELECT id, created_at, model, k, parameters::text, stats::text, objective, iterations, active
                FROM cohort_runs \(clause)
                """, parameters)
            return try (0..<rows.rowCount).map { (row) throws(ProfileStoreError) in
                CohortRunRecord(
                    id: try rows.int64(row, 0), createdAt: try rows.date(row, 1), model: try rows.string(row, 2),
                    k: Int(try rows.int64(row, 3)), parametersJSON: try rows.string(row, 4), statsJSON: try rows.string(row, 5),
                    objective: try rows.double(row, 6), iterations: Int(try rows.int64(row, 7)), active: try rows.bool(row, 8)
                )
            }
        }
    }

    /// The cohorts of run `runID`, in cohort order, with their centroids.
    public func cohorts(runID: Int64) async throws(ProfileStoreError) -> [CohortRecord] {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query(
                """
                SELECT cohort, centroid, size, label, terms, traits::text FROM cohorts WHERE run_id = $1 ORDER BY cohort
                """, [.int64(runID)])
            return try (0..<rows.rowCount).map { (row) throws(ProfileStoreError) in
                CohortRecord(
                    cohort: Int(try rows.int64(row, 0)), centroid: try rows.vector(row, 1), size: Int(try rows.int64(row, 2)),
                    label: try rows.string(row, 3), terms: try rows.stringArray(row, 4), traitsJSON: try rows.string(row, 5)
                )
            }
        }
    }

    /// Every member of run `runID`, in user order.
    public func cohortMembers(runID: Int64) async throws(ProfileStoreError) -> CohortMembers {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query(
                "SELECT user_id, cohort, similarity FROM cohort_members WHERE run_id = $1 ORDER BY user_id", [.int64(runID)]
            )
            var userIDs: [Int64] = [], cohorts: [Int32] = [], similarities: [Float] = []
            userIDs.reserveCapacity(rows.rowCount)
            cohorts.reserveCapacity(rows.rowCount)
            similarities.reserveCapacity(rows.rowCount)
            for row in 0..<rows.rowCount {
                userIDs.append(try rows.int64(row, 0))
                cohorts.append(Int32(try rows.int64(row, 1)))
                similarities.append(Float(try rows.double(row, 2)))
            }
            return CohortMembers(userIDs: userIDs, cohorts: cohorts, similarities: similarities)
        }
    }

    private func validate(_ run: NewCohortRun) throws(ProfileStoreError) {
        let k = run.cohorts.count
        guard k > 0 else { throw ProfileStoreError(.invalidInput, "a cohort run needs at least one cohort") }
        for (index, cohort) in run.cohorts.enumerated() {
            guard cohort.cohort == index else {
                throw ProfileStoreError(.invalidInput, "cohorts must be numbered 0..<\(k) in order; found \(cohort.cohort) at \(index)")
            }
            guard cohort.centroid.count == configuration.dimensions, cohort.centroid.allSatisfy(\.isFinite) else {
                throw ProfileStoreError(.invalidInput, "the centroid of cohort \(index) is not \(configuration.dimensions) finite floats")
            }
        }
        var seen = Set<Int64>(minimumCapacity: run.members.userIDs.count)
        for (index, userID) in run.members.userIDs.enumerated() {
            guard seen.insert(userID).inserted else { throw ProfileStoreError(.invalidInput, "creator \(userID) is a member twice") }
            guard (0..<Int32(k)).contains(run.members.cohorts[index]) else {
                throw ProfileStoreError(.invalidInput, "creator \(userID) is in cohort \(run.members.cohorts[index]) of \(k)")
            }
        }
    }
}
