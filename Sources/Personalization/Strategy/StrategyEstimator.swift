public import Foundation
internal import ProfileStore

/// Fits a cohort's ``CohortStrategy`` to its posts (docs/STRATEGY.md).
///
/// The model, on the log engagement rate y of a post by creator c at hour of week s:
///
///     y = b_c + f(s) + Σ_j β_j x_j + ε
///
/// b_c is the creator's own baseline (a fixed effect, so who posts when does not pass for
/// when is good), f a smooth weekly curve (a kernel smoother over hours and days, shrunk
/// toward 0 where there is little evidence), x_j the post's features per platform, its topic,
/// and a trending topic in the trend window. The three parts are fitted by backfitting
/// (alternating least squares), which converges to the joint least-squares fit.
public enum StrategyEstimator {
    /// How the model is fitted.
    public struct Parameters: Sendable {
        /// The kernel's width along the week, in hours. Default 1.5.
        public var hourBandwidth = 1.5
        /// Its width across days (the same hour on nearby days), in days. Default 1.
        public var dayBandwidth = 1.0
        /// Pseudo-posts at effect 0 added to each hour: shrinks hours with little evidence. Default 20.
        public var priorPosts = 20.0
        /// Ridge on the feature effects (pseudo-posts at effect 0). Default 1.
        public var ridge = 1.0
        /// Backfitting rounds. Default 12.
        public var iterations = 12
        /// A platform gets its own effects with this many posts in the cohort. Default 200.
        public var minimumPlatformPosts = 200
        /// A factor is estimated with this many posts with it and without it. Default 30.
        public var minimumFactorPosts = 30
        /// Topics estimated, the most posted first. Default 8.
        public var topics = 8

        /// The defaults above.
        public init() {}
    }

    /// A fitted model and each creator's baseline (log engagement rate of their typical post
    /// at an average hour with no features).
    public struct Fit: Sendable {
        public var strategy: CohortStrategy
        public var baselines: [Int64: Double]
    }

    /// One column of the feature design: which posts have it.
    private struct Column {
        var factor: String
        var topic: String?
        /// The platform's index in the sample, or nil for every platform without its own column.
        var platform: Int?
        var group: Bool
        var posts = 0
    }

    /// Fits `sample`; `trending` are the cohort's trending topics (lower case), whose recent posts get their own effect.
    public static func fit(_ sample: StrategySample, trending: Set<String>, parameters: Parameters = Parameters()) -> Fit {
        let observations = sample.observations
        let n = observations.count
        guard n >= 2 * parameters.minimumFactorPosts else { return Fit(strategy: .empty, baselines: [:]) }

        // Creators as dense indices.
        var creatorIndex: [Int64: Int] = [:]
        let creatorOf = observations.map { observation in
            if let index = creatorIndex[observation.userID] { return index }
            creatorIndex[observation.userID] = creatorIndex.count
            return creatorIndex.count - 1
        }
        let creators = creatorIndex.count

        let (columns, active) = design(sample, trending: trending, parameters: parameters)
        var hourPosts = [Double](repeating: 0, count: 168)
        for observation in observations { hourPosts[Int(observation.slot)] += 1 }
        let smoother = WeeklySmoother(kernel: Self.kernel(parameters), counts: hourPosts, priorPosts: parameters.priorPosts)
        let p = columns.count
        let y = observations.map { Double($0.logRate) }

        // XᵀX + ridge, factored once.
        var gram = [Double](repeating: 0, count: p * p)
        for row in active {
            for i in row { for j in row { gram[Int(i) * p + Int(j)] += 1 } }
        }
        for j in 0..<p { gram[j * p + j] += parameters.ridge }
        let factor = CholeskyFactor(gram, n: p)

        var baseline = [Double](repeating: 0, count: creators)
        var hours = [Double](repeating: 0, count: 168)
        var beta = [Double](repeating: 0, count: p)
        var postsPerCreator = [Double](repeating: 0, count: creators)
        for c in creatorOf { postsPerCreator[c] += 1 }
        func featureEffect(_ i: Int) -> Double { active[i].reduce(0) { $0 + beta[Int($1)] } }

        for _ in 0..<parameters.iterations {
            var sums = [Double](repeating: 0, count: creators)
            for i in 0..<n { sums[creatorOf[i]] += y[i] - hours[Int(observations[i].slot)] - featureEffect(i) }
            for c in 0..<creators { baseline[c] = sums[c] / postsPerCreator[c] }

            var hourSums = [Double](repeating: 0, count: 168)
            for i in 0..<n { hourSums[Int(observations[i].slot)] += y[i] - baseline[creatorOf[i]] - featureEffect(i) }
            hours = smoother.effects(sums: hourSums)

            guard let factor else { continue }
            var right = [Double](repeating: 0, count: p)
            for i in 0..<n {
                let residual = y[i] - baseline[creatorOf[i]] - hours[Int(observations[i].slot)]
                for j in active[i] { right[Int(j)] += residual }
            }
            beta = factor.solve(right)
        }

        var squares = 0.0
        for i in 0..<n {
            let residual = y[i] - baseline[creatorOf[i]] - hours[Int(observations[i].slot)] - featureEffect(i)
            squares += residual * residual
        }
        let variance = squares / max(Double(n - creators - p) - smoother.degreesOfFreedom, 1)

        // Feature variances from the within-creator design (what the fixed effects leave to estimate them).
        var within = gram
        var creatorColumns = [[Int32: Double]](repeating: [:], count: creators)
        for i in 0..<n { for j in active[i] { creatorColumns[creatorOf[i]][j, default: 0] += 1 } }
        for c in 0..<creators where !creatorColumns[c].isEmpty {
            for (i, a) in creatorColumns[c] { for (j, b) in creatorColumns[c] { within[Int(i) * p + Int(j)] -= a * b / postsPerCreator[c] } }
        }
        let featureVariances = CholeskyFactor(within, n: p)?.inverseDiagonal().map { $0 * variance } ?? Array(repeating: .infinity, count: p)

        let strategy = CohortStrategy(
            hourEffects: hours.map { $0.rounded(places: 4) }, hourErrors: smoother.errors.map { ($0 * variance.squareRoot()).rounded(places: 4) },
            hourEvidence: smoother.evidence.map { $0.rounded(places: 1) },
            uplifts: uplifts(columns, beta: beta, variances: featureVariances, platforms: sample.platforms),
            posts: n, creators: creators, residualSD: variance.squareRoot().rounded(places: 4))
        var baselines: [Int64: Double] = [:]
        for (userID, c) in creatorIndex { baselines[userID] = baseline[c] }
        return Fit(strategy: strategy, baselines: baselines)
    }

    /// The columns of the design and each post's active columns.
    private static func design(_ sample: StrategySample, trending: Set<String>, parameters: Parameters) -> ([Column], [[Int32]]) {
        let observations = sample.observations
        var platformPosts = [Int](repeating: 0, count: sample.platforms.count + 1)
        var topicPosts: [UInt16: Int] = [:]
        for observation in observations {
            platformPosts[Int(observation.platform)] += 1
            if observation.topic != StrategySample.noTopic { topicPosts[observation.topic, default: 0] += 1 }
        }
        let ownPlatform = platformPosts.map { $0 >= parameters.minimumPlatformPosts }

        var columns: [Column] = []
        // featureColumn[feature][platform + 1]: the platform's own column, or at [0] the shared one.
        var featureColumn = [[Int]](repeating: [Int](repeating: 0, count: sample.platforms.count + 1), count: PostFeatures.named.count)
        for (feature, (name, _)) in PostFeatures.named.enumerated() {
            featureColumn[feature][0] = columns.count
            columns.append(Column(factor: name, platform: nil, group: true))
            for platform in sample.platforms.indices {
                guard ownPlatform[platform] else {
                    featureColumn[feature][platform + 1] = featureColumn[feature][0]
                    continue
                }
                featureColumn[feature][platform + 1] = columns.count
                columns.append(Column(factor: name, platform: platform, group: false))
            }
        }
        let modelledTopics = topicPosts.filter { $0.value >= parameters.minimumFactorPosts && $0.value <= observations.count - parameters.minimumFactorPosts }
            .sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(parameters.topics).map(\.key)
        var topicColumn: [UInt16: Int] = [:]
        for topic in modelledTopics {
            topicColumn[topic] = columns.count
            columns.append(Column(factor: "topic", topic: sample.topics[Int(topic)], platform: nil, group: false))
        }
        var trendingColumn: [UInt16: Int] = [:]
        for (index, topic) in sample.topics.enumerated() where trending.contains(topic) {
            trendingColumn[UInt16(index)] = columns.count
            columns.append(Column(factor: "trending", topic: topic, platform: nil, group: false))
        }

        var active = [[Int32]](repeating: [], count: observations.count)
        for (i, observation) in observations.enumerated() {
            for (index, (_, feature)) in PostFeatures.named.enumerated() where observation.features.contains(feature) {
                active[i].append(Int32(featureColumn[index][Int(observation.platform) + 1]))
            }
            if let column = topicColumn[observation.topic] { active[i].append(Int32(column)) }
            if observation.recent, let column = trendingColumn[observation.topic] { active[i].append(Int32(column)) }
            for column in active[i] { columns[Int(column)].posts += 1 }
        }
        // A column with too few posts, or too few without it, is left out of the fit (its rows lose it).
        let kept = columns.indices.filter {
            columns[$0].posts >= parameters.minimumFactorPosts && observations.count - columns[$0].posts >= parameters.minimumFactorPosts
        }
        var renumber = [Int32](repeating: -1, count: columns.count)
        for (new, old) in kept.enumerated() { renumber[old] = Int32(new) }
        return (kept.map { columns[$0] }, active.map { $0.compactMap { renumber[Int($0)] >= 0 ? renumber[Int($0)] : nil } })
    }

    /// The reported uplifts: each column with its own platform or topic, and each feature over
    /// all platforms (the post-weighted mean of its columns).
    private static func uplifts(_ columns: [Column], beta: [Double], variances: [Double], platforms: [String]) -> [CohortStrategy.Uplift] {
        func uplift(_ column: Column, effect: Double, variance: Double, platform: String?, posts: Int) -> CohortStrategy.Uplift? {
            guard variance.isFinite, variance > 0 else { return nil }
            let error = variance.squareRoot()
            return .init(
                factor: column.factor, topic: column.topic, platform: platform, uplift: exp(effect).rounded(places: 4),
                low: exp(effect - 1.96 * error).rounded(places: 4), high: exp(effect + 1.96 * error).rounded(places: 4),
                effect: effect.rounded(places: 4), standardError: error.rounded(places: 4), posts: posts)
        }
        var result: [CohortStrategy.Uplift] = []
        for (j, column) in columns.enumerated() where !column.group {
            let platform = column.platform.map { platforms[$0] }
            // Features per platform, then topics and trends (which are over all platforms already).
            if let entry = uplift(column, effect: beta[j], variance: variances[j], platform: platform, posts: column.posts) { result.append(entry) }
        }
        for (name, _) in PostFeatures.named {
            let parts = columns.indices.filter { columns[$0].factor == name }
            let posts = parts.reduce(0) { $0 + columns[$1].posts }
            guard !parts.isEmpty, posts > 0 else { continue }
            var effect = 0.0
            var variance = 0.0
            for j in parts {
                let weight = Double(columns[j].posts) / Double(posts)
                effect += weight * beta[j]
                variance += weight * weight * variances[j]
            }
            if let entry = uplift(columns[parts[0]], effect: effect, variance: variance, platform: nil, posts: posts) { result.append(entry) }
        }
        return result
    }

    /// K(s, t): a Gaussian in hours along the week (wrapping), summed over whole-day shifts
    /// with a Gaussian weight in days, so an hour borrows from its neighbours and from the
    /// same hour on nearby days.
    private static func kernel(_ parameters: Parameters) -> [Double] {
        var kernel = [Double](repeating: 0, count: 168 * 168)
        let hours = 2 * parameters.hourBandwidth * parameters.hourBandwidth
        let days = 2 * parameters.dayBandwidth * parameters.dayBandwidth
        for s in 0..<168 {
            for t in 0..<168 {
                var delta = Double((t - s + 168) % 168)
                if delta > 84 { delta -= 168 }
                var k = 0.0
                for shift in -3...3 {
                    let along = delta - 24 * Double(shift)
                    k += exp(-along * along / hours - Double(shift * shift) / days)
                }
                kernel[s * 168 + t] = k
            }
        }
        return kernel
    }

}

/// The kernel smoother of the weekly curve for fixed per-hour post counts: what depends only on
/// the counts (each hour's weight, standard error, evidence, the degrees of freedom) is computed
/// once; each backfitting round then only smooths new sums.
private struct WeeklySmoother {
    let kernel: [Double]
    /// Σ_t K(s, t) N_t + the prior posts, per hour.
    let denominators: [Double]
    /// Each hour's standard error for a unit residual variance: √(Σ_t K² N_t) / denominator.
    let errors: [Double]
    /// Effective posts per hour: (Σ K N)² / Σ K² N.
    let evidence: [Double]
    /// Σ_s K(s, s) N_s / denominator: the smoother's degrees of freedom.
    let degreesOfFreedom: Double

    init(kernel: [Double], counts: [Double], priorPosts: Double) {
        self.kernel = kernel
        var denominators = [Double](repeating: 0, count: 168)
        var errors = [Double](repeating: 0, count: 168)
        var evidence = [Double](repeating: 0, count: 168)
        var trace = 0.0
        for s in 0..<168 {
            var weight = 0.0, squares = 0.0
            for t in 0..<168 {
                let k = kernel[s * 168 + t]
                weight += k * counts[t]
                squares += k * k * counts[t]
            }
            denominators[s] = weight + priorPosts
            errors[s] = squares.squareRoot() / denominators[s]
            evidence[s] = squares > 0 ? weight * weight / squares : 0
            trace += kernel[s * 168 + s] * counts[s] / denominators[s]
        }
        self.denominators = denominators
        self.errors = errors
        self.evidence = evidence
        degreesOfFreedom = trace
    }

    /// The shrunk, smoothed curve of per-hour residual sums, centred to mean 0.
    func effects(sums: [Double]) -> [Double] {
        var effects = (0..<168).map { s in
            var numerator = 0.0
            for t in 0..<168 { numerator += kernel[s * 168 + t] * sums[t] }
            return numerator / denominators[s]
        }
        let mean = effects.reduce(0, +) / 168
        for s in effects.indices { effects[s] -= mean }
        return effects
    }
}
