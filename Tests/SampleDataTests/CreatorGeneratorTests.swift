import Foundation
import ProfileStore
import SampleData
import Testing

@Suite("Sample creators")
struct CreatorGeneratorTests {
    static let creators = CreatorGenerator(configuration: .init(creators: 2_000)).generate()

    @Test("the same seed gives the same creators; a larger set starts with the smaller one")
    func deterministic() {
        let again = CreatorGenerator(configuration: .init(creators: 50)).generate()
        #expect(again.map(\.user) == Self.creators.prefix(50).map(\.user))
        #expect(again.map(\.posts) == Self.creators.prefix(50).map(\.posts))
        let other = CreatorGenerator(configuration: .init(creators: 50, seed: 7)).generate()
        #expect(other.map(\.user) != again.map(\.user))
    }

    @Test("every niche appears, and many creators mix two")
    func niches() {
        let main = Set(Self.creators.map { $0.niches[0] })
        #expect(main.count == Niche.all.count && main.count >= 20)
        let mixed = Self.creators.filter { $0.niches.count == 2 }.count
        #expect(mixed > 600 && mixed < 1_000)
    }

    @Test("10–40 posts over the 90 days before the end date, unique ids, valid for import")
    func posts() throws {
        let end = CreatorGenerator.Configuration().end
        var ids = Set<Int64>()
        for creator in Self.creators {
            #expect((10...40).contains(creator.posts.count))
            for post in creator.posts {
                #expect(post.userID == creator.user.id)
                #expect(post.publishedAt < end && post.publishedAt > end.addingTimeInterval(-91 * 86_400))
                #expect(ids.insert(post.id).inserted)
                #expect(post.views >= post.likes && post.likes >= post.reposts && post.reposts >= 0)
            }
        }
    }

    @Test("views are heavy-tailed: the top 1% of posts hold a large share")
    func heavyTail() {
        let views = Self.creators.flatMap { $0.posts.map(\.views) }.sorted(by: >)
        let top = views.prefix(views.count / 100).reduce(0, +)
        let total = views.reduce(0, +)
        #expect(Double(top) / Double(total) > 0.15)
    }

    @Test("the JSON Lines files round-trip through the importer's reader, with niche labels")
    func files() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("onering-sample-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let users = directory.appendingPathComponent("users.jsonl")
        let posts = directory.appendingPathComponent("posts.jsonl")
        let sample = Array(Self.creators.prefix(100))
        try SampleDataWriter.write(sample, users: users, posts: posts)
        let labels = try SampleDataWriter.nicheLabels(users: Data(contentsOf: users))
        #expect(labels[1] == sample[0].niches)
        #expect(labels.count == 100)
        // The importer reads back exactly what was generated, line by line.
        let readUsers = try JSONLines.users(Data(contentsOf: users), source: "users.jsonl")
        let readPosts = try JSONLines.posts(Data(contentsOf: posts), source: "posts.jsonl")
        #expect(readUsers.map(\.record) == sample.map(\.user))
        #expect(readPosts.map(\.record) == sample.flatMap(\.posts))
    }

    @Test("each niche's trending topic surges in the last week and not before")
    func trends() {
        let generator = CreatorGenerator(configuration: .init(creators: 2_000))
        let end = generator.configuration.end
        var recentShare: [Double] = [], earlierShare: [Double] = []
        for niche in Niche.all {
            let topic = generator.trendingTopic(of: niche)
            let posts = Self.creators.filter { $0.niches[0] == niche.id }.flatMap(\.posts).filter { !$0.topics.isEmpty }
            let recent = posts.filter { $0.publishedAt > end.addingTimeInterval(-7 * 86_400) }
            let earlier = posts.filter { $0.publishedAt <= end.addingTimeInterval(-7 * 86_400) }
            guard recent.count >= 10 else { continue }
            recentShare.append(Double(recent.filter { $0.topics.contains(topic) }.count) / Double(recent.count))
            earlierShare.append(Double(earlier.filter { $0.topics.contains(topic) }.count) / Double(max(earlier.count, 1)))
        }
        #expect(recentShare.count >= 10)
        for (recent, earlier) in zip(recentShare, earlierShare) { #expect(recent > 2 * earlier) }
    }
}
