internal import VectorMath

/// Whether a context's exemplars answer the brief: for seeded-random creators and a brief
/// made from a topic of their main niche that is not their cohort's trending topic, the share
/// of exemplars whose topics include the brief's topic (the generator knows each post's topics).
public struct BriefQualityCheck: Sendable {
    /// One creator and the brief asked for.
    public struct Case: Sendable {
        public var userID: Int64
        public var topic: String
        /// The brief: the topic in a sentence a creator might write.
        public var brief: String
    }

    /// The cases, in a fixed order.
    public let cases: [Case]

    /// Up to `count` cases among `creators`, drawn with `seed`; `trendingTopic(userID)` is the
    /// creator's cohort's trending topic, never used as the brief's topic.
    public init(creators: [CreatorGenerator.Creator], count: Int, seed: UInt64, trendingTopic: (Int64) -> String?) {
        var random = SplitMix64(seed: seed)
        let niches = Dictionary(uniqueKeysWithValues: Niche.all.map { ($0.id, $0) })
        var order = Array(creators.indices)
        for index in order.indices.reversed() where index > 0 {
            order.swapAt(index, Int(random.next() % UInt64(index + 1)))
        }
        var cases: [Case] = []
        for index in order where cases.count < count {
            let creator = creators[index]
            let trending = trendingTopic(creator.user.id)?.lowercased()
            guard let niche = creator.niches.first.flatMap({ niches[$0] }) else { continue }
            let topics = niche.topics.filter { $0.lowercased() != trending }
            guard !topics.isEmpty else { continue }
            let topic = topics[Int(random.next() % UInt64(topics.count))]
            let templates = ["my %@ lessons from this year", "what nobody tells you about %@", "a beginner's question on %@"]
            let brief = templates[Int(random.next() % UInt64(templates.count))].replacingOccurrences(of: "%@", with: topic)
            cases.append(Case(userID: creator.user.id, topic: topic, brief: brief))
        }
        self.cases = cases
    }

    /// The share of exemplars, over every case, whose topics include the case's topic;
    /// `exemplarTopics(case)` returns each exemplar's topics.
    public func share(_ exemplarTopics: (Case) async throws -> [[String]]) async rethrows -> (share: Double, exemplars: Int) {
        var onTopic = 0, total = 0
        for item in cases {
            let topics = try await exemplarTopics(item)
            total += topics.count
            onTopic += topics.count { $0.contains { $0.lowercased() == item.topic.lowercased() } }
        }
        return (total == 0 ? 0 : Double(onTopic) / Double(total), total)
    }
}
