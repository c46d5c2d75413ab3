import Foundation
import Personalization
import ProfileStore
import SampleData
import Testing

@Suite("Strategy signals against the planted truth")
struct StrategyTruthTests {
    static let generator = CreatorGenerator(configuration: .init(creators: 5_000))
    static let check = StrategyTruthCheck(creators: generator.generate(), generator: generator)

    @Test("the recommended hours overlap the planted best hours (≥ 3 of 5 on average), far better than per-hour medians")
    func hours() {
        let overlap = Self.check.meanOverlap
        #expect(overlap.model >= 3)
        #expect(overlap.model >= overlap.median + 1.5)
        #expect(Self.check.niches.count == Niche.all.count)
    }

    @Test("every planted format effect over 10 % is estimated with the right sign, none confidently wrong")
    func formats() {
        for report in Self.check.niches {
            #expect(report.plantedEffects >= 10, "\(report.niche)")
            #expect(report.rightSign == report.plantedEffects, "\(report.niche)")
            #expect(report.confidentlyWrong == 0, "\(report.niche)")
            #expect((report.effectRankCorrelation ?? 0) > 0.8, "\(report.niche)")
        }
    }

    @Test("held-out posts are ranked by the model with Spearman ≥ 0.3, ≥ 0.15 above each creator's median")
    func heldOut() {
        #expect(Self.check.heldOutPosts > 5_000)
        #expect(Self.check.heldOutSpearman >= 0.3)
        #expect(Self.check.heldOutSpearman >= Self.check.baselineSpearman + 0.15)
    }

    @Test("the truth file names every niche with a 168-hour curve whose top five it lists")
    func truthFile() throws {
        let truth = GroundTruth(generator: Self.generator)
        let decoded = try JSONDecoder().decode(GroundTruth.self, from: truth.jsonData())
        #expect(decoded.niches.count == Niche.all.count)
        for niche in decoded.niches {
            #expect(niche.hourUplift.count == 168)
            let best = niche.hourUplift.indices.max { niche.hourUplift[$0] < niche.hourUplift[$1] }
            #expect(niche.topSlots.first == best)
        }
        #expect(Set(decoded.formatUplift.keys) == Set(PostFeatures.named.map(\.name)))
    }

    @Test("the features the generator plants are the ones the estimator reads, each on a fair share of posts")
    func featureShares() {
        let posts = Self.generator.generate().prefix(1_000).flatMap(\.posts)
        for (name, feature) in PostFeatures.named {
            let share = Double(posts.filter { PostFeatures(text: $0.text, hashtags: $0.hashtags).contains(feature) }.count) / Double(posts.count)
            #expect(share > 0.05 && share < 0.6, "\(name): \(share)")
        }
    }
}

@Suite("Post features")
struct PostFeaturesTests {
    @Test("questions, threads, hooks, length, emoji and hashtags are read from the text")
    func features() {
        #expect(PostFeatures(text: "Which would you pick?") == [.question])
        #expect(PostFeatures(text: "1/5 everything I learned") == [.thread])
        #expect(PostFeatures(text: "Thread: what I learned") == [.thread])
        #expect(PostFeatures(text: "Stop scrolling.\nHere is why sleep matters.") == [.hook])
        #expect(PostFeatures(text: "Stop scrolling.\n") == [])
        #expect(PostFeatures(text: String(repeating: "word ", count: 40)).contains(.long))
        #expect(!PostFeatures(text: String(repeating: "word ", count: 20) + String(repeating: "#tag ", count: 30)).contains(.long))
        #expect(PostFeatures(text: "Leg day 💪") == [.emoji])
        #expect(PostFeatures(text: "Price is 3 #1") == [])
        #expect(PostFeatures(text: "a #x #y #z") == [.manyHashtags])
        #expect(PostFeatures(text: "a", hashtags: ["x", "y", "z"]) == [.manyHashtags])
        #expect(PostFeatures(text: "").names.isEmpty)
    }
}
