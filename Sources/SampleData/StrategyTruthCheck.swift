public import Foundation
public import Personalization
internal import ProfileStore

/// Checks ``StrategyEstimator`` against the effects planted in generated creators: for
/// each niche (creators grouped by their main niche, whose audience sets the hour effect),
/// the recommended hours against the true best hours, the estimated format uplifts against
/// the planted ones, and predictions of held-out posts against what they earned.
public struct StrategyTruthCheck: Sendable {
    /// One niche's figures.
    public struct NicheReport: Sendable {
        public var niche: String
        public var posts: Int
        /// The recommended top hours and the true top five (UTC hours of the week).
        public var recommended: [Int]
        public var trueTop: [Int]
        /// |recommended ∩ true top five|.
        public var overlap: Int
        /// The same for the old per-hour median (hours with ≥ 5 posts).
        public var medianOverlap: Int
        /// Planted per-platform format effects over 10 % that were estimated, and those with the right sign.
        public var plantedEffects: Int
        public var rightSign: Int
        /// Of those, the ones whose interval excludes 1 on the wrong side.
        public var confidentlyWrong: Int
        /// Spearman's ρ of estimated and planted format effects, per platform.
        public var effectRankCorrelation: Double?
        /// The model fitted on all the niche's posts.
        public var strategy: CohortStrategy
    }

    public var niches: [NicheReport]
    /// Held-out posts (the last `heldOutDays` days, with at least 100 views) ranked by the model's prediction.
    public var heldOutPosts: Int
    /// Spearman's ρ of predicted and actual engagement rate: the model, and each creator's median.
    public var heldOutSpearman: Double
    public var baselineSpearman: Double
    public var heldOutDays: Int

    /// Runs the check on `creators` made by `generator`.
    public init(creators: [CreatorGenerator.Creator], generator: CreatorGenerator, heldOutDays: Int = 10) {
        let end = generator.configuration.end
        let recentStart = end.addingTimeInterval(-Double(CreatorGenerator.trendDays) * 86_400)
        let cut = end.addingTimeInterval(-Double(heldOutDays) * 86_400)
        let trending = Set(Niche.all.map { generator.trendingTopic(of: $0).lowercased() })
        let byNiche = Dictionary(grouping: creators) { $0.niches[0] }
        var reports: [NicheReport] = []
        var predicted: [Double] = [], baseline: [Double] = [], actual: [Double] = []
        for niche in Niche.all {
            guard let members = byNiche[niche.id] else { continue }
            var all = StrategySample()
            var training = StrategySample()
            for post in members.flatMap(\.posts) {
                let recent = post.publishedAt > recentStart
                all.add(post, recent: recent)
                if post.publishedAt <= cut { training.add(post, recent: recent) }
            }
            let fit = StrategyEstimator.fit(all, trending: trending)
            reports.append(Self.report(niche, members: members, strategy: fit.strategy))

            // Held out: fitted without the last days, each post predicted from its creator's baseline.
            let trained = StrategyEstimator.fit(training, trending: trending)
            for creator in members {
                let past = creator.posts.filter { $0.publishedAt <= cut && $0.views >= StrategySample.minimumViews }
                guard let base = trained.baselines[creator.user.id], !past.isEmpty else { continue }
                let median = Self.median(past.map { log(max($0.engagementRate, 0.5 / Double($0.views))) })
                for post in creator.posts where post.publishedAt > cut && post.views >= StrategySample.minimumViews {
                    let prediction = trained.strategy.predict(
                        features: PostFeatures(text: post.text, hashtags: post.hashtags), platform: post.platform,
                        slot: StrategySample.slot(of: post.publishedAt), topic: post.topics.first?.lowercased(), trending: false)
                    predicted.append(base + prediction.effect)
                    baseline.append(median)
                    actual.append(post.engagementRate)
                }
            }
        }
        niches = reports
        heldOutPosts = actual.count
        heldOutSpearman = RankCorrelation.spearman(predicted, actual) ?? 0
        baselineSpearman = RankCorrelation.spearman(baseline, actual) ?? 0
        self.heldOutDays = heldOutDays
    }

    /// One cohort of any clustering, against the mixture of its creators' planted curves.
    public struct CohortReport: Sendable {
        public var cohort: Int
        public var creators: Int
        public var posts: Int
        /// The most common main niche among its creators, and its share of them.
        public var mainNiche: String
        public var mainNicheShare: Double
        public var recommended: [Int]
        /// The top five of the post-weighted mean of its creators' planted curves (log scale).
        public var trueTop: [Int]
        public var overlap: Int
        public var medianOverlap: Int
    }

    /// Fits each cohort of `cohortOf` (creator id → cohort, e.g. k-means on their embeddings)
    /// and compares its recommended hours with the post-weighted mix of its creators' audiences.
    public static func cohorts(_ creators: [CreatorGenerator.Creator], cohortOf: [Int64: Int], generator: CreatorGenerator) -> [CohortReport] {
        let end = generator.configuration.end
        let recentStart = end.addingTimeInterval(-Double(CreatorGenerator.trendDays) * 86_400)
        let trending = Set(Niche.all.map { generator.trendingTopic(of: $0).lowercased() })
        let nicheByID = Dictionary(uniqueKeysWithValues: Niche.all.map { ($0.id, $0) })
        let groups = Dictionary(grouping: creators) { cohortOf[$0.user.id] ?? -1 }
        return groups.keys.filter { $0 >= 0 }.sorted().map { cohort in
            let members = groups[cohort]!
            var sample = StrategySample()
            var mixture = [Double](repeating: 0, count: 168)
            var counted = 0
            for creator in members {
                let curve = AudienceActivity.of(nicheByID[creator.niches[0]]!).curve
                for post in creator.posts {
                    sample.add(post, recent: post.publishedAt > recentStart)
                    guard post.views >= StrategySample.minimumViews else { continue }
                    counted += 1
                    for slot in 0..<168 { mixture[slot] += curve[slot] }
                }
            }
            let trueTop = Array(mixture.indices.sorted { (mixture[$0], $1) > (mixture[$1], $0) }.prefix(5))
            let recommended = StrategyEstimator.fit(sample, trending: trending).strategy.recommendedHours(5)
            let medianTop = medianTopHours(members.flatMap(\.posts))
            let niches = Dictionary(grouping: members) { $0.niches[0] }.max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }!
            return CohortReport(
                cohort: cohort, creators: members.count, posts: counted, mainNiche: niches.key,
                mainNicheShare: Double(niches.value.count) / Double(members.count), recommended: recommended, trueTop: trueTop,
                overlap: Set(recommended).intersection(trueTop).count, medianOverlap: Set(medianTop).intersection(trueTop).count)
        }
    }

    /// Mean overlap of the recommended top five with the true top five, and the same for the median.
    public var meanOverlap: (model: Double, median: Double) {
        let n = Double(max(niches.count, 1))
        return (Double(niches.map(\.overlap).reduce(0, +)) / n, Double(niches.map(\.medianOverlap).reduce(0, +)) / n)
    }

    private static func report(_ niche: Niche, members: [CreatorGenerator.Creator], strategy: CohortStrategy) -> NicheReport {
        let trueTop = AudienceActivity.of(niche).topSlots(5)
        let recommended = strategy.recommendedHours(5)
        let medianTop = medianTopHours(members.flatMap(\.posts))

        var planted = 0, right = 0, wrong = 0
        var estimated: [Double] = [], truth: [Double] = []
        for uplift in strategy.uplifts where uplift.platform != nil && uplift.topic == nil {
            guard let effect = PlantedEffects.formats[uplift.factor]?[uplift.platform!] else { continue }
            estimated.append(uplift.effect)
            truth.append(effect)
            guard abs(effect) > log(1.1) else { continue }
            planted += 1
            if (uplift.effect > 0) == (effect > 0) { right += 1 }
            if effect > 0 ? uplift.high < 1 : uplift.low > 1 { wrong += 1 }
        }
        return NicheReport(
            niche: niche.id, posts: strategy.posts, recommended: recommended, trueTop: trueTop,
            overlap: Set(recommended).intersection(trueTop).count, medianOverlap: Set(medianTop).intersection(trueTop).count,
            plantedEffects: planted, rightSign: right, confidentlyWrong: wrong,
            effectRankCorrelation: RankCorrelation.spearman(estimated, truth), strategy: strategy)
    }

    /// The old estimate: the five hours of the week with the highest median engagement rate among hours with ≥ 5 posts.
    private static func medianTopHours(_ posts: [PostRecord]) -> [Int] {
        var slotRates = [[Double]](repeating: [], count: 168)
        for post in posts { slotRates[StrategySample.slot(of: post.publishedAt)].append(post.engagementRate) }
        let medians = slotRates.map(median)
        return Array(slotRates.indices.filter { slotRates[$0].count >= 5 }.sorted { medians[$0] > medians[$1] }.prefix(5))
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
