internal import Foundation
internal import ProfileStore

/// Describes each cohort from its members' bios and posts: distinctive terms by
/// class-based TF-IDF, and traits (hashtags, topics, platforms, posting hours,
/// engagement, trends, top posts). Fed one page of posts at a time.
///
/// c-TF-IDF (as in BERTopic) treats each cohort's text as one document: the weight of
/// term t in cohort c is tf(t, c) / |c| · log(1 + A / f(t)), where |c| is the cohort's
/// term count, A the mean term count per cohort and f(t) the term's count over all
/// cohorts. A word every cohort uses gets a small weight however often it occurs.
///
/// Words common across the whole corpus do not become labels even when one cohort uses
/// them most ("library", "files" in package descriptions): a term in more than
/// ``maximumDocumentShare(k:)`` of all documents (bios and posts) is left out of the
/// distinctive terms, as a vectorizer's max_df does in BERTopic.
struct CohortProfiler {
    /// What the profiler looks for.
    struct Parameters: Sendable {
        /// The end of the trend windows (the newest post).
        var asOf: Date
        /// Trend windows, in days. Default 7 against 90.
        var recentDays = 7
        var baselineDays = 90
        /// Posts need this many views to be a top post. Default 1,000.
        var topPostMinimumViews: Int64 = 1_000
        /// Entries per list in the traits. Default 10 (5 for times, trends and posts).
        var listLength = 10
    }

    private struct Accumulator {
        var terms: [String: Int] = [:]
        var hashtags: [String: Int] = [:]
        var topics: [String: Int] = [:]
        var platforms: [String: Int] = [:]
        var recentTopics: [String: Int] = [:]
        var baselineTopics: [String: Int] = [:]
        var rates: [Float] = []
        var slotRates = [[Float]](repeating: [], count: 168)
        var sample = StrategySample()
        var topPosts: [CohortTraits.TopPost] = []
    }

    let parameters: Parameters
    private let cohortOf: [Int64: Int]
    private var cohorts: [Accumulator]
    /// Documents (bios and posts) counted, and how many of them hold each term.
    private var documents = 0
    private var documentFrequency: [String: Int] = [:]

    /// A profiler of `k` cohorts; `cohortOf` maps each member to their cohort.
    init(k: Int, cohortOf: [Int64: Int], parameters: Parameters) {
        self.parameters = parameters
        self.cohortOf = cohortOf
        cohorts = Array(repeating: Accumulator(), count: k)
    }

    /// Counts a member's bio.
    mutating func addBio(userID: Int64, bio: String) {
        guard let c = cohortOf[userID] else { return }
        let words = TermTokenizer.words(bio)
        for word in words { cohorts[c].terms[word, default: 0] += 1 }
        countDocument(words)
    }

    private mutating func countDocument(_ terms: [String]) {
        documents += 1
        for term in Set(terms) { documentFrequency[term, default: 0] += 1 }
    }

    /// Counts one post of a member.
    mutating func addPost(_ post: PostRecord) {
        guard let c = cohortOf[post.userID] else { return }
        let words = TermTokenizer.words(post.text)
        for word in words { cohorts[c].terms[word, default: 0] += 1 }
        let topics = post.topics.map { $0.lowercased() }
        for topic in topics {
            cohorts[c].terms[topic, default: 0] += 2
            cohorts[c].topics[topic, default: 0] += 1
        }
        countDocument(words + topics)
        for tag in post.hashtags { cohorts[c].hashtags[tag.lowercased(), default: 0] += 1 }
        cohorts[c].platforms[post.platform, default: 0] += 1
        let age = parameters.asOf.timeIntervalSince(post.publishedAt) / 86_400
        cohorts[c].sample.add(post, recent: age >= 0 && age < Double(parameters.recentDays))
        if age >= 0, age < Double(parameters.baselineDays) {
            for topic in post.topics {
                if age < Double(parameters.recentDays) {
                    cohorts[c].recentTopics[topic.lowercased(), default: 0] += 1
                } else {
                    cohorts[c].baselineTopics[topic.lowercased(), default: 0] += 1
                }
            }
        }
        let rate = Float(post.engagementRate)
        cohorts[c].rates.append(rate)
        cohorts[c].slotRates[StrategySample.slot(of: post.publishedAt)].append(rate)
        if post.views >= parameters.topPostMinimumViews {
            let top = CohortTraits.TopPost(
                postID: post.id, authorID: post.userID, platform: post.platform, publishedAt: post.publishedAt,
                engagementRate: Double(rate), views: post.views, text: post.text)
            cohorts[c].topPosts.append(top)
            if cohorts[c].topPosts.count > 4 * parameters.listLength { trimTopPosts(c) }
        }
    }

    /// Adds what `other` counted (the same cohorts and parameters, other posts): profilers
    /// fed disjoint slices of the posts merge into one that saw them all.
    mutating func merge(_ other: CohortProfiler) {
        precondition(other.cohorts.count == cohorts.count, "profilers of different cohort counts")
        documents += other.documents
        documentFrequency.merge(other.documentFrequency, uniquingKeysWith: +)
        for c in cohorts.indices {
            let theirs = other.cohorts[c]
            cohorts[c].terms.merge(theirs.terms, uniquingKeysWith: +)
            cohorts[c].hashtags.merge(theirs.hashtags, uniquingKeysWith: +)
            cohorts[c].topics.merge(theirs.topics, uniquingKeysWith: +)
            cohorts[c].platforms.merge(theirs.platforms, uniquingKeysWith: +)
            cohorts[c].recentTopics.merge(theirs.recentTopics, uniquingKeysWith: +)
            cohorts[c].baselineTopics.merge(theirs.baselineTopics, uniquingKeysWith: +)
            cohorts[c].rates += theirs.rates
            for slot in 0..<168 { cohorts[c].slotRates[slot] += theirs.slotRates[slot] }
            cohorts[c].sample.merge(theirs.sample)
            cohorts[c].topPosts += theirs.topPosts
            trimTopPosts(c)
        }
    }

    /// The largest share of documents a label term may appear in: 10 %, or twice a cohort's
    /// average share when cohorts are few (with 8 cohorts a cohort's own word is in ~12 %),
    /// never over half.
    static func maximumDocumentShare(k: Int) -> Double { max(0.1, min(0.5, 2 / Double(max(k, 1)))) }

    /// The `count` most distinctive terms of each cohort, best first.
    func distinctiveTerms(count: Int) -> [[String]] {
        let documentLimit = Self.maximumDocumentShare(k: cohorts.count) * Double(documents)
        var total: [String: Int] = [:]
        var sizes: [Int] = []
        for cohort in cohorts {
            sizes.append(cohort.terms.values.reduce(0, +))
            for (term, n) in cohort.terms { total[term, default: 0] += n }
        }
        let average = Double(sizes.reduce(0, +)) / Double(max(cohorts.count, 1))
        return cohorts.indices.map { c in
            let size = Double(max(sizes[c], 1))
            let weighted = cohorts[c].terms.compactMap { term, n -> (String, Double)? in
                guard Double(documentFrequency[term] ?? 0) <= documentLimit else { return nil }
                return (term, Double(n) / size * log(1 + average / Double(total[term]!)))
            }
            let ranked = weighted.sorted { ($0.1, $1.0) > ($1.1, $0.0) }
            // A term whose words an earlier term already shows adds nothing to a label.
            var chosen: [String] = []
            var shown = Set<Substring>()
            for (term, _) in ranked where chosen.count < count {
                let words = term.split(separator: " ")
                guard !words.allSatisfy(shown.contains) else { continue }
                chosen.append(term)
                shown.formUnion(words)
            }
            return chosen
        }
    }

    /// Each cohort's traits; `sizes` and `meanSimilarities` come from the clustering. Each
    /// cohort's strategy model is fitted here (``StrategyEstimator``), one cohort per core.
    func traits(sizes: [Int], meanSimilarities: [Double]) -> [CohortTraits] {
        let length = parameters.listLength
        let short = max(1, length / 2)
        let scale = Double(parameters.recentDays) / Double(parameters.baselineDays - parameters.recentDays)
        let trends = cohorts.map { cohort in
            let trending = cohort.recentTopics.compactMap { topic, recent -> CohortTraits.TrendingTopic? in
                let baseline = cohort.baselineTopics[topic] ?? 0
                let expected = Double(baseline) * scale
                let lift = (Double(recent) + 1) / (expected + 1)
                let score = (Double(recent) - expected) / (expected + 1).squareRoot()
                guard recent >= 3, lift >= 1.5, score >= 2 else { return nil }
                return .init(topic: topic, recentPosts: recent, baselinePosts: baseline, lift: lift, score: score)
            }
            return Array(trending.sorted { ($0.score, $1.topic) > ($1.score, $0.topic) }.prefix(short))
        }
        let strategies = Self.fitStrategies(cohorts.map(\.sample), trending: trends.map { Set($0.map(\.topic)) })
        return cohorts.indices.map { c in
            let cohort = cohorts[c]
            let strategy = strategies[c]
            let bestPostingTimes = strategy.recommendedHours(short).map { slot -> CohortTraits.PostingSlot in
                let effect = strategy.hourEffects[slot]
                let error = strategy.hourErrors[slot]
                let rates = cohort.slotRates[slot]
                return .init(
                    weekday: slot / 24, hour: slot % 24, medianEngagementRate: Self.median(rates), posts: rates.count,
                    uplift: exp(effect).rounded(places: 4), low: exp(effect - 1.96 * error).rounded(places: 4),
                    high: exp(effect + 1.96 * error).rounded(places: 4),
                    evidence: strategy.hourEvidence[slot])
            }
            return CohortTraits(
                size: sizes[c], meanSimilarity: meanSimilarities[c], posts: cohort.rates.count,
                medianEngagementRate: Self.median(cohort.rates),
                topHashtags: Self.top(cohort.hashtags, length), topTopics: Self.top(cohort.topics, length),
                platforms: Self.top(cohort.platforms, length),
                bestPostingTimes: bestPostingTimes,
                trendingTopics: trends[c],
                asOf: parameters.asOf, recentDays: parameters.recentDays, baselineDays: parameters.baselineDays,
                topPosts: Array(Self.rankedTopPosts(cohort.topPosts).prefix(short)),
                whatPerforms: strategy.whatPerforms(3), strategy: strategy
            )
        }
    }

    /// Each cohort's strategy model, fitted on all cores.
    private static func fitStrategies(_ samples: [StrategySample], trending: [Set<String>]) -> [CohortStrategy] {
        var strategies = [CohortStrategy](repeating: .empty, count: samples.count)
        strategies.withUnsafeMutableBufferPointer { strategies in
            // Each worker writes only its own cohort's element.
            nonisolated(unsafe) let strategies = strategies
            DispatchQueue.concurrentPerform(iterations: samples.count) { c in
                strategies[c] = StrategyEstimator.fit(samples[c], trending: trending[c]).strategy
            }
        }
        return strategies
    }

    private mutating func trimTopPosts(_ c: Int) {
        cohorts[c].topPosts = Array(Self.rankedTopPosts(cohorts[c].topPosts).prefix(parameters.listLength))
    }

    private static func rankedTopPosts(_ posts: [CohortTraits.TopPost]) -> [CohortTraits.TopPost] {
        posts.sorted { ($0.engagementRate, $1.postID) > ($1.engagementRate, $0.postID) }
    }

    static func median(_ values: [Float]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? Double(sorted[middle - 1] + sorted[middle]) / 2 : Double(sorted[middle])
    }

    private static func top(_ counts: [String: Int], _ length: Int) -> [CohortTraits.Count] {
        counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(length).map { .init(name: $0.key, count: $0.value) }
    }
}
