import Foundation
import ProfileStore
import Testing

@testable import Personalization

@Suite("Cohort descriptions")
struct CohortProfilerTests {
    @Test("words: lower-cased, no stop words, hashtags, short words or numbers")
    func tokenizer() {
        #expect(TermTokenizer.words("The BEST marathon training plan for 2026 is here! #running café") == ["best", "marathon", "training", "plan", "café"])
        #expect(TermTokenizer.words("I've got what you're after, it's ok") == [])
    }

    @Test("c-TF-IDF ranks a cohort's own words above words every cohort uses")
    func distinctiveTerms() {
        let asOf = Date(timeIntervalSince1970: 1_800_000_000)
        var profiler = CohortProfiler(k: 2, cohortOf: [1: 0, 2: 1], parameters: .init(asOf: asOf))
        func post(_ id: Int64, _ user: Int64, _ text: String) -> PostRecord {
            PostRecord(id: id, userID: user, text: text, platform: "x", publishedAt: asOf, views: 100, likes: 5)
        }
        for i in 0..<20 {
            profiler.addPost(post(Int64(i), 1, "weekly update weekly update: deadlift squats"))
            profiler.addPost(post(Int64(100 + i), 2, "weekly update weekly update: sourdough starter"))
        }
        let terms = profiler.distinctiveTerms(count: 2)
        #expect(Set(terms[0]) == ["deadlift", "squats"])
        #expect(Set(terms[1]) == ["sourdough", "starter"])
    }

    @Test("a word in most documents never labels a cohort, even the one that uses it most")
    func corpusWideWords() {
        // Package descriptions: "library" is in every document, twice as often in cohort 0.
        let asOf = Date(timeIntervalSince1970: 1_800_000_000)
        let cohortOf = Dictionary(uniqueKeysWithValues: (1...40).map { (Int64($0), $0 <= 20 ? 0 : 1) })
        var profiler = CohortProfiler(k: 2, cohortOf: cohortOf, parameters: .init(asOf: asOf))
        for user in 1...40 {
            let bio =
                user <= 20
                ? "library library library shared library for image codecs, jpeg decoding"
                : "library used by the python interpreter bindings"
            profiler.addBio(userID: Int64(user), bio: bio)
        }
        let terms = profiler.distinctiveTerms(count: 3)
        #expect(!terms[0].contains("library") && !terms[1].contains("library"))
        #expect(terms[0].contains("jpeg") || terms[0].contains("codecs"))
        #expect(terms[1].contains("python") || terms[1].contains("interpreter"))
    }

    @Test("on real text (Debian package descriptions by section), labels name each section, never a corpus-wide word")
    func realText() throws {
        let url = try #require(Bundle.module.url(forResource: "debian-package-descriptions", withExtension: "tsv"))
        let rows = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: "\t") }
        let sections = Array(Set(rows.map { String($0[0]) })).sorted()
        var cohortOf: [Int64: Int] = [:]
        for (index, row) in rows.enumerated() { cohortOf[Int64(index + 1)] = sections.firstIndex(of: String(row[0]))! }
        var profiler = CohortProfiler(k: sections.count, cohortOf: cohortOf, parameters: .init(asOf: Date()))
        for (index, row) in rows.enumerated() { profiler.addBio(userID: Int64(index + 1), bio: String(row[2])) }
        let labels = Dictionary(uniqueKeysWithValues: zip(sections, profiler.distinctiveTerms(count: 3)))
        // "library" is in a fifth of the descriptions: it says nothing about any section.
        let documents = rows.map { Set(TermTokenizer.words(String($0[2]))) }
        let limit = CohortProfiler.maximumDocumentShare(k: sections.count)
        for (section, terms) in labels {
            #expect(!terms.contains("library"), "\(section): \(terms)")
            for term in terms {
                let share = Double(documents.filter { $0.contains(term) }.count) / Double(documents.count)
                #expect(share <= limit, "\(section): \(term) is in \(share) of the descriptions")
            }
        }
        for (section, word) in [("python", "python"), ("perl", "perl"), ("ruby", "ruby"), ("rust", "rust"), ("haskell", "haskell"), ("golang", "go")] {
            #expect(labels[section]?.contains { $0.contains(word) } == true, "\(section): \(labels[section] ?? [])")
        }
        #expect(labels["fonts"]?.contains { $0.hasPrefix("font") } == true, "fonts: \(labels["fonts"] ?? [])")
    }

    @Test("a topic that surges in the last week trends; a steady one does not")
    func trending() {
        let asOf = Date(timeIntervalSince1970: 1_800_000_000)
        var profiler = CohortProfiler(k: 1, cohortOf: [1: 0], parameters: .init(asOf: asOf))
        var id: Int64 = 0
        func add(_ topic: String, daysAgo: Double) {
            id += 1
            profiler.addPost(
                PostRecord(
                    id: id, userID: 1, text: "post", topics: [topic], platform: "x",
                    publishedAt: asOf.addingTimeInterval(-daysAgo * 86_400), views: 100, likes: 3))
        }
        for day in 0..<90 { add("steady", daysAgo: Double(day) + 0.5) }
        for day in 0..<7 { for _ in 0..<4 { add("surge", daysAgo: Double(day) + 0.5) } }
        for day in stride(from: 10, to: 90, by: 10) { add("surge", daysAgo: Double(day)) }
        let traits = profiler.traits(sizes: [1], meanSimilarities: [1])[0]
        #expect(traits.trendingTopics.map(\.topic) == ["surge"])
        #expect(traits.trendingTopics[0].recentPosts == 28 && traits.trendingTopics[0].baselinePosts == 8)
    }

    @Test("hours of the week count from Monday 00:00 UTC")
    func slots() {
        // 2026-11-02 was a Monday.
        let monday = ISO8601DateFormatter().date(from: "2026-11-02T00:30:00Z")!
        #expect(StrategySample.slot(of: monday) == 0)
        #expect(StrategySample.slot(of: monday.addingTimeInterval(6 * 86_400 + 23 * 3_600)) == 167)
        #expect(CohortProfiler.median([3, 1, 2]) == 2 && CohortProfiler.median([4, 1, 2, 3]) == 2.5)
    }

    @Test("MMR: a close second from the same author loses to a different author")
    func mmr() {
        func candidate(_ id: Int64, author: Int64, relevance: Double) -> ExemplarRanking.Candidate {
            .init(post: PostRecord(id: id, userID: author, text: "", platform: "x", publishedAt: Date()), semantic: relevance, engagement: 1, recency: 1)
        }
        let ranking = ExemplarRanking(lambda: 0.7) { _, _ in 0.2 }
        let picked = ranking.select(
            [
                candidate(1, author: 10, relevance: 0.9), candidate(2, author: 10, relevance: 0.85),
                candidate(3, author: 11, relevance: 0.6),
            ], count: 2)
        #expect(picked.map(\.candidate.post.id) == [1, 3])
        #expect(picked[0].diversity == 1 && abs(picked[1].diversity - 0.9) < 1e-12)
        let relevanceOnly = ExemplarRanking(lambda: 1) { _, _ in 0.2 }
        #expect(
            relevanceOnly.select([candidate(1, author: 10, relevance: 0.9), candidate(2, author: 10, relevance: 0.85)], count: 2).map(\.candidate.post.id) == [
                1, 2,
            ])
    }

    @Test("style hints: length, hashtags, emoji and threads")
    func style() {
        let now = Date()
        let posts = [
            PostRecord(id: 1, userID: 1, text: "Thread: how I train 🧵", hashtags: ["run"], platform: "x", publishedAt: now),
            PostRecord(id: 2, userID: 1, text: "Rest day 😴", hashtags: ["run", "rest"], platform: "instagram", publishedAt: now),
            PostRecord(id: 3, userID: 1, text: "Plain words here", platform: "x", publishedAt: now),
        ]
        let hints = StyleAnalyzer.hints(posts)
        #expect(hints.posts == 3 && hints.hashtagsPerPost == 1)
        #expect(abs(hints.emojiShare - 2.0 / 3) < 1e-12 && abs(hints.threadShare - 1.0 / 3) < 1e-12)
        #expect(hints.topHashtags.first == "run" && hints.platforms == ["x", "instagram"])
        #expect(hints.medianLength == "Plain words here".count)
    }
}
