internal import Foundation
internal import ProfileStore

extension PersonalizationEngine {
    /// The longest draft scored, in characters.
    public static let maximumDraftLength = 10_000

    /// Scores `draft` for `userID`: its expected engagement against the creator's typical post,
    /// from their cohort's strategy model (hour, form by platform, topic and trend).
    ///
    /// - Throws: `.invalidInput` for a blank or too long text, a platform name over 40 characters,
    ///   or a time outside a day back … a year ahead; `.unknownUser`; `.notEmbedded` for a creator
    ///   not embedded yet; `.notReady` when their cohort has no strategy model yet (rebuild the
    ///   cohorts); `.store`.
    public func score(userID: Int64, draft: DraftScore.Draft) async throws(PersonalizationError) -> DraftScore {
        let text = draft.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw PersonalizationError(.invalidInput, "the draft's text is empty") }
        guard draft.text.count <= Self.maximumDraftLength else {
            throw PersonalizationError(.invalidInput, "the draft holds at most \(Self.maximumDraftLength) characters, got \(draft.text.count)")
        }
        if let platform = draft.platform {
            guard !platform.isEmpty, platform.count <= 40 else { throw PersonalizationError(.invalidInput, "the platform must be 1…40 characters") }
        }
        let now = Date()
        let at = draft.at ?? now
        guard at >= now.addingTimeInterval(-86_400), at <= now.addingTimeInterval(366 * 86_400) else {
            throw PersonalizationError(.invalidInput, "the publishing time must be from a day ago to a year ahead")
        }
        let profile: ProfileStore.ProfileWithPosts?
        do { profile = try await store.profile(userID: userID, postLimit: 200) } catch { throw .store(error) }
        guard let profile else { throw PersonalizationError(.unknownUser, "there is no creator \(userID)") }
        let runID = state.read { $0.run?.record.id ?? 0 }
        guard contains(userID) else {
            throw PersonalizationError(.notEmbedded, "creator \(userID) has no embedding yet, so no cohort: refresh their embedding first")
        }
        guard let membership = cohort(of: userID), let strategy = membership.cohort.traits.strategy, strategy.posts > 0 else {
            throw PersonalizationError(.notReady, "creator \(userID)'s cohort has no strategy model yet: rebuild the cohorts")
        }
        let traits = membership.cohort.traits
        var notes: [String] = []

        var platforms: [String: Int] = [:]
        for post in profile.posts { platforms[post.platform, default: 0] += 1 }
        let platform =
            draft.platform?.lowercased()
            ?? platforms.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
            ?? traits.platforms.first?.name ?? "x"
        if !strategy.uplifts.contains(where: { $0.platform == platform }) {
            notes.append("the cohort has too few posts on \(platform) for effects of its own: the cohort-wide ones are used")
        }

        // The topic: the modelled topic the text names (the longest, so "strength training" beats "training").
        let lowered = text.lowercased()
        let topics = Set(strategy.uplifts.compactMap { $0.factor == "topic" || $0.factor == "trending" ? $0.topic : nil })
        let topic = topics.filter { lowered.contains($0) }.max { ($0.count, $1) < ($1.count, $0) }
        let trending = topic.map { topic in traits.trendingTopics.contains { $0.topic == topic } } ?? false

        let features = PostFeatures(text: text)
        let slot = StrategySample.slot(of: at)
        let prediction = strategy.predict(features: features, platform: platform, slot: slot, topic: topic, trending: trending)

        // The creator's typical post on the same model: the mean prediction of their own posts.
        let own = profile.posts.filter { $0.views >= StrategySample.minimumViews }
        let typical: Double
        let baselineRate: Double
        if own.isEmpty {
            typical = 0
            baselineRate = traits.medianEngagementRate
            notes.append("the creator has no posts with \(StrategySample.minimumViews) views or more: scored against the cohort's average post")
        } else {
            typical =
                own.reduce(0.0) { sum, post in
                    sum
                        + strategy.predict(
                            features: PostFeatures(text: post.text, hashtags: post.hashtags), platform: post.platform,
                            slot: StrategySample.slot(of: post.publishedAt), topic: post.topics.first?.lowercased(), trending: false
                        ).effect
                } / Double(own.count)
            baselineRate = CohortProfiler.median(own.map { Float($0.engagementRate) })
        }
        let relative = exp(prediction.effect - typical)
        let spread = 1.96 * prediction.standardError
        return DraftScore(
            userID: userID, platform: platform, at: at, weekday: slot / 24, hour: slot % 24, features: features.names, topic: topic,
            trending: trending, relativeToBaseline: relative.rounded(places: 4), low: (relative * exp(-spread)).rounded(places: 4),
            high: (relative * exp(spread)).rounded(places: 4), baselineEngagementRate: baselineRate.rounded(places: 6),
            expectedEngagementRate: (baselineRate * relative).rounded(places: 6), singlePostSpread: exp(strategy.residualSD).rounded(places: 4),
            parts: prediction.parts.map { .init(factor: $0.factor, uplift: $0.uplift.rounded(places: 4)) }, cohort: membership.cohort.id, runID: runID,
            notes: notes)
    }

}
