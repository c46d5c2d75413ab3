public import Foundation
internal import Personalization
public import ProfileStore
internal import VectorMath

/// Generates realistic sample creators: a name, a bio, and 10–40 posts over 90 days
/// each, from a seeded generator, so the same configuration always gives the same data.
///
/// A creator has a main niche (niches are not equally popular: weights fall off
/// like 1/rank^0.6) and, with probability `secondaryNicheShare`, a second niche
/// that 20–45% of its niche posts are about. About `genericPostShare` of posts
/// say nothing about a niche ("new week, new goals"). Posts go out at the creator's
/// habitual hours (70%: some of the niche's usual hours, the earlier ones for creators
/// with a higher level) or any hour, on weekends at the niche's rate. Posts vary in form
/// (hooks, questions, threads, length, emoji, hashtags). Views follow a log-normal creator
/// reach times a log-normal per-post factor (heavy-tailed). In the last seven days each
/// niche has one trending topic that most of its posts are about (``trendingTopic(of:)``),
/// so cohort trends have something real to find.
///
/// Engagement carries planted effects (``PlantedEffects``): the creator's level, the
/// audience's hour of the week (``AudienceActivity``), the post's form by platform, and the
/// trend; ``GroundTruth`` exports them.
///
/// Creator `i` draws from its own stream (`seed`, `i`), so any creator can be made
/// alone and a larger set starts with the smaller one.
public struct CreatorGenerator: Sendable {
    /// What to generate.
    public struct Configuration: Sendable {
        /// How many creators. Default 5,000.
        public var creators: Int
        /// The seed. Default 42.
        public var seed: UInt64
        /// Posts per creator. Default 10…40.
        public var postsPerCreator: ClosedRange<Int>
        /// The last day of posting (posts cover the 90 days before it). Default 2026-11-01.
        public var end: Date
        /// The share of creators with a second niche. Default 0.4.
        public var secondaryNicheShare: Double
        /// The share of posts about no niche. Default 0.2.
        public var genericPostShare: Double

        /// A configuration with the defaults above.
        public init(
            creators: Int = 5_000, seed: UInt64 = 42, postsPerCreator: ClosedRange<Int> = 10...40,
            end: Date = Date(timeIntervalSince1970: 1_793_491_200), secondaryNicheShare: Double = 0.4,
            genericPostShare: Double = 0.2
        ) {
            self.creators = creators
            self.seed = seed
            self.postsPerCreator = postsPerCreator
            self.end = end
            self.secondaryNicheShare = secondaryNicheShare
            self.genericPostShare = genericPostShare
        }
    }

    /// One generated creator.
    public struct Creator: Sendable {
        /// The profile.
        public var user: UserRecord
        /// Its niches, the main one first (ground truth for benchmarks).
        public var niches: [String]
        /// Its posts, oldest first.
        public var posts: [PostRecord]
    }

    /// The configuration the generator uses.
    public let configuration: Configuration

    /// A generator for `configuration`.
    public init(configuration: Configuration = Configuration()) {
        precondition(configuration.creators > 0 && configuration.postsPerCreator.lowerBound > 0, "nothing to generate")
        self.configuration = configuration
    }

    /// Every creator, in id order.
    public func generate() -> [Creator] { (0..<configuration.creators).map(creator) }

    /// Creator `index` (id `index + 1`).
    public func creator(_ index: Int) -> Creator {
        var random = SplitMix64(seed: configuration.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index) &* 0xD1B5_4A32_D192_ED03)
        let main = Self.pickNiche(&random)
        var secondary: Niche? = nil
        if random.unit() < configuration.secondaryNicheShare {
            repeat { secondary = Self.pickNiche(&random) } while secondary == main
        }
        let secondaryWeight = 0.2 + 0.25 * random.unit()
        let first = Vocabulary.firstNames.randomElement(using: &random)!
        let last = Vocabulary.lastNames.randomElement(using: &random)!
        let userID = Int64(index + 1)
        let user = UserRecord(
            id: userID,
            handle: "\(first)\(last)\(index + 1)".lowercased(),
            name: "\(first) \(last)",
            bio: Self.bio(main: main, secondary: secondary, using: &random)
        )
        let reach = exp(7 + 1.6 * random.gaussian())
        let level = PlantedEffects.creatorLevelSD * random.gaussian()
        // Habits and level go together: the higher a creator's level, the likelier their earlier hours.
        let earlyHabit = random.unit() < 1 / (1 + exp(-2.5 * level / PlantedEffects.creatorLevelSD))
        let audience = AudienceActivity.of(main)
        let count = Int.random(in: configuration.postsPerCreator, using: &random)
        var posts: [PostRecord] = []
        for postIndex in 0..<count {
            let roll = random.unit()
            let niche: Niche? =
                roll < configuration.genericPostShare
                ? nil
                : (secondary != nil && random.unit() < secondaryWeight ? secondary : main)
            let publishedAt = publicationDate(niche ?? main, earlyHabit: earlyHabit, using: &random)
            let recent = publishedAt > configuration.end.addingTimeInterval(-Double(Self.trendDays) * 86_400)
            let trending = niche.flatMap { recent ? trendingTopic(of: $0) : nil }
            let (text, hashtags, topics) =
                niche.map { Self.nichePost($0, trending: trending, using: &random) } ?? Self.genericPost(using: &random)
            let platform = Self.platform(niche ?? main, using: &random)
            let onTrend = trending.map(topics.contains) ?? false
            let effect =
                level + audience.curve[StrategySample.slot(of: publishedAt)]
                + PlantedEffects.formatEffect(PostFeatures(text: text, hashtags: hashtags), platform: platform)
                + (onTrend ? PlantedEffects.trendingEffect : 0)
            let views = Int64(reach * exp(0.9 * random.gaussian()))
            let rate = min(0.5, exp(-3.5 + effect + PlantedEffects.noiseSD * random.gaussian()))
            let repostShare = min(0.8, exp(-2.3 + 0.7 * random.gaussian()))
            // Likes and reposts share the rate, so the engagement rate is `rate` up to rounding.
            let likes = Int64((Double(views) * rate / (1 + repostShare)).rounded())
            let reposts = Int64((Double(views) * rate).rounded()) - likes
            posts.append(
                PostRecord(
                    id: userID * 64 + Int64(postIndex),
                    userID: userID,
                    text: text,
                    topics: topics,
                    hashtags: hashtags,
                    platform: platform,
                    publishedAt: publishedAt,
                    views: views, likes: likes, reposts: max(0, min(reposts, likes))
                ))
        }
        posts.sort { $0.publishedAt < $1.publishedAt }
        return Creator(user: user, niches: [main.id] + (secondary.map { [$0.id] } ?? []), posts: posts)
    }

    // MARK: Drawing

    /// Niche popularity: weight 1/rank^0.6 in catalogue order.
    private static let nicheWeights: [Double] = {
        let weights = Niche.all.indices.map { 1 / pow(Double($0 + 1), 0.6) }
        let total = weights.reduce(0, +)
        var cumulative = 0.0
        return weights.map {
            cumulative += $0 / total
            return cumulative
        }
    }()

    private static func pickNiche(_ random: inout SplitMix64) -> Niche {
        let roll = random.unit()
        return Niche.all[nicheWeights.firstIndex { roll < $0 } ?? Niche.all.count - 1]
    }

    private static func bio(main: Niche, secondary: Niche?, using random: inout SplitMix64) -> String {
        var parts = [main.bioPhrases.randomElement(using: &random)!.capitalizedFirst]
        if let secondary { parts.append("also into \(secondary.topics.randomElement(using: &random)!)") }
        parts.append(Vocabulary.bioEndings.randomElement(using: &random)!)
        return parts.joined(separator: " · ")
    }

    /// Days at the end of the span in which each niche's trending topic surges.
    static let trendDays = 7

    /// The topic of `niche` that trends in the last ``trendDays`` days: one per niche, chosen by the seed.
    public func trendingTopic(of niche: Niche) -> String {
        let index = Niche.all.firstIndex(of: niche)!
        return niche.topics[Int((configuration.seed &+ UInt64(index) &* 7) % UInt64(niche.topics.count))]
    }

    /// A post of `niche`; with a `trending` topic, 60% of posts are about it (and say so in their topics).
    /// Its form varies: a hook line, a thread marker, detail sentences, a question, emoji, 0–5 hashtags.
    private static func nichePost(_ niche: Niche, trending: String?, using random: inout SplitMix64) -> (String, [String], [String]) {
        let first = niche.keywords.randomElement(using: &random)!
        var second = niche.keywords.randomElement(using: &random)!
        if second == first { second = niche.keywords.randomElement(using: &random)! }
        let onTrend = trending != nil && random.unit() < 0.6
        let topic = onTrend ? trending! : niche.topics.randomElement(using: &random)!
        func fill(_ template: String) -> String {
            template.replacingOccurrences(of: "{a}", with: first)
                .replacingOccurrences(of: "{b}", with: second)
                .replacingOccurrences(of: "{topic}", with: topic)
                .replacingOccurrences(of: "{n}", with: String(Int.random(in: 3...12, using: &random)))
        }
        var text = fill(Vocabulary.postTemplates.randomElement(using: &random)!)
        if random.unit() < 0.12 { text = "1/\(Int.random(in: 3...8, using: &random)) " + text }
        if random.unit() < 0.3 {
            let details = Vocabulary.detailSentences.shuffled(using: &random).prefix(2).map(fill)
            text += " " + details.joined(separator: " ")
        }
        if random.unit() < 0.25 { text += " " + fill(Vocabulary.questions.randomElement(using: &random)!) }
        if random.unit() < 0.22 { text = Vocabulary.hooks.randomElement(using: &random)! + "\n" + text }
        if random.unit() < 0.3 { text += " " + String(Vocabulary.emoji.shuffled(using: &random).prefix(Int.random(in: 1...2, using: &random)).joined()) }
        let hashtagCount = [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 5].randomElement(using: &random)!
        let hashtags = Array(niche.hashtags.shuffled(using: &random).prefix(hashtagCount))
        if !hashtags.isEmpty { text += " " + hashtags.map { "#\($0)" }.joined(separator: " ") }
        let topics = onTrend || random.unit() < 0.6 ? [topic] : []
        return (text, hashtags, topics)
    }

    private static func genericPost(using random: inout SplitMix64) -> (String, [String], [String]) {
        var text = Vocabulary.genericPosts.randomElement(using: &random)!
        let hashtags = random.unit() < 0.4 ? [Vocabulary.genericHashtags.randomElement(using: &random)!] : []
        if let tag = hashtags.first { text += " #\(tag)" }
        return (text, hashtags, [])
    }

    private static func platform(_ niche: Niche, using random: inout SplitMix64) -> String {
        random.unit() < 0.6 ? niche.platforms[0] : niche.platforms.randomElement(using: &random)!
    }

    /// A time in the 90 days before `end`, on a weekend at the niche's weekend share: 70% of
    /// the time at one of the creator's habitual hours (the earlier or the later half of the
    /// niche's usual hours), otherwise any hour.
    private func publicationDate(_ niche: Niche, earlyHabit: Bool, using random: inout SplitMix64) -> Date {
        // `end` is a Sunday 00:00 UTC in the default; count days back from it.
        let weekend = random.unit() < niche.weekendShare
        var day: Int
        repeat {
            day = Int.random(in: 1...90, using: &random)
        } while (Self.weekday(of: configuration.end, daysBefore: day) >= 5) != weekend
        let usual = niche.peakHours.sorted()
        let half = (usual.count + 1) / 2
        let habits = earlyHabit ? usual[..<half] : usual[half...]
        let hour = random.unit() < 0.7 ? habits.randomElement(using: &random)! : Int.random(in: 0...23, using: &random)
        let seconds = Double(hour * 3600 + Int.random(in: 0..<3600, using: &random))
        return configuration.end.addingTimeInterval(-Double(day) * 86_400 + seconds)
    }

    /// Monday 0 … Sunday 6 of the day `daysBefore` days before `end`.
    private static func weekday(of end: Date, daysBefore: Int) -> Int {
        // 1970-01-01 was a Thursday (3).
        let days = Int((end.timeIntervalSince1970 / 86_400).rounded(.down)) - daysBefore
        return ((days % 7) + 7 + 3) % 7
    }
}

extension SplitMix64 {
    fileprivate mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    fileprivate mutating func gaussian() -> Double { Double(nextGaussian()) }
}

extension String {
    fileprivate var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
