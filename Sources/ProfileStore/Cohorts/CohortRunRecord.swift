public import struct Foundation.Date

/// One stored cohort run: the parameters and outcome of a clustering of every creator.
public struct CohortRunRecord: Sendable, Equatable {
    /// The run's id, increasing with each run.
    public var id: Int64
    /// When the run was written.
    public var createdAt: Date
    /// The embedding model of the vectors it clustered.
    public var model: String
    /// Its number of cohorts.
    public var k: Int
    /// The parameters it ran with, as a JSON object.
    public var parametersJSON: String
    /// Its statistics (imbalance, churn, timings), as a JSON object.
    public var statsJSON: String
    /// Mean cosine similarity of the creators to their cohort's centroid.
    public var objective: Double
    /// Lloyd iterations run.
    public var iterations: Int
    /// Whether this is the run the engine uses (at most one is).
    public var active: Bool

    /// A run record.
    public init(
        id: Int64, createdAt: Date, model: String, k: Int, parametersJSON: String, statsJSON: String,
        objective: Double, iterations: Int, active: Bool
    ) {
        self.id = id
        self.createdAt = createdAt
        self.model = model
        self.k = k
        self.parametersJSON = parametersJSON
        self.statsJSON = statsJSON
        self.objective = objective
        self.iterations = iterations
        self.active = active
    }
}

/// One cohort of a run.
public struct CohortRecord: Sendable, Equatable {
    /// The cohort's number within its run, 0..<k.
    public var cohort: Int
    /// Its centroid (unit length), `dimensions` floats.
    public var centroid: [Float]
    /// Its number of creators.
    public var size: Int
    /// A short human label, e.g. "fitness · marathon · training".
    public var label: String
    /// Its most distinctive terms, best first.
    public var terms: [String]
    /// Its traits (hashtags, topics, posting hours, engagement), as a JSON object.
    public var traitsJSON: String

    /// A cohort record.
    public init(cohort: Int, centroid: [Float], size: Int, label: String, terms: [String], traitsJSON: String) {
        self.cohort = cohort
        self.centroid = centroid
        self.size = size
        self.label = label
        self.terms = terms
        self.traitsJSON = traitsJSON
    }
}

/// Which cohort each creator of a run belongs to.
public struct CohortMembers: Sendable, Equatable {
    /// The creators.
    public var userIDs: [Int64]
    /// `cohorts[i]` is the cohort of `userIDs[i]`.
    public var cohorts: [Int32]
    /// Cosine similarity of `userIDs[i]` to its cohort's centroid.
    public var similarities: [Float]

    /// Members, one entry per creator in each array.
    public init(userIDs: [Int64], cohorts: [Int32], similarities: [Float]) {
        precondition(userIDs.count == cohorts.count && cohorts.count == similarities.count, "member arrays of different lengths")
        self.userIDs = userIDs
        self.cohorts = cohorts
        self.similarities = similarities
    }

    /// Each member's cohort, by user id.
    public func cohortByUser() -> [Int64: Int] {
        var cohortOf = [Int64: Int](minimumCapacity: userIDs.count)
        for (index, userID) in userIDs.enumerated() { cohortOf[userID] = Int(cohorts[index]) }
        return cohortOf
    }
}

/// A cohort run to write: everything `ProfileStore.writeCohortRun(_:)` stores in one transaction.
public struct NewCohortRun: Sendable {
    /// The embedding model of the clustered vectors.
    public var model: String
    /// Parameters, as a JSON object.
    public var parametersJSON: String
    /// Statistics, as a JSON object.
    public var statsJSON: String
    /// Mean cosine similarity to the centroids.
    public var objective: Double
    /// Lloyd iterations run.
    public var iterations: Int
    /// The cohorts, numbered 0..<k in order.
    public var cohorts: [CohortRecord]
    /// The creators' memberships.
    public var members: CohortMembers

    /// A run to write.
    public init(
        model: String, parametersJSON: String, statsJSON: String, objective: Double, iterations: Int,
        cohorts: [CohortRecord], members: CohortMembers
    ) {
        self.model = model
        self.parametersJSON = parametersJSON
        self.statsJSON = statsJSON
        self.objective = objective
        self.iterations = iterations
        self.cohorts = cohorts
        self.members = members
    }
}
