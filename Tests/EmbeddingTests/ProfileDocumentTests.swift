import Embedding
import Foundation
import Testing

@Suite("Profile document")
struct ProfileDocumentTests {
    static func post(_ text: String, day: Int, hashtags: [String] = [], topics: [String] = []) -> ProfileDocument.Post {
        .init(text: text, hashtags: hashtags, topics: topics, publishedAt: Date(timeIntervalSince1970: Double(day) * 86_400))
    }

    @Test("keeps the most recent posts, newest first")
    func recentPosts() {
        let posts = (0..<30).map { Self.post("post \($0)", day: $0) }.shuffled()
        let document = ProfileDocument(name: "Ana", bio: "bio", posts: posts, postLimit: 5)
        #expect(document.posts.map(\.text) == ["post 29", "post 28", "post 27", "post 26", "post 25"])
    }

    @Test("the text has the name, the bio, then one line per post with its tags")
    func text() {
        let document = ProfileDocument(
            name: "Ana", bio: "Builds agents.",
            posts: [
                Self.post("Evals first", day: 2, hashtags: ["ai"], topics: ["agents"]), Self.post("Hello", day: 1),
            ])
        #expect(document.text == "Ana\nBuilds agents.\nEvals first #ai [agents]\nHello")
    }

    @Test("the content hash is stable, and changes with the text or the model")
    func contentHash() {
        let document = ProfileDocument(name: "Ana", bio: "Builds agents.", posts: [Self.post("Evals first", day: 2)])
        let hash = document.contentHash(model: "m1")
        #expect(hash.count == 16)
        #expect(hash == ProfileDocument(name: "Ana", bio: "Builds agents.", posts: [Self.post("Evals first", day: 2)]).contentHash(model: "m1"))
        #expect(hash.map { String(format: "%02x", $0) }.joined() == "397f66ab2a44d62be6e52d888c63d81c")
        #expect(hash != document.contentHash(model: "m2"))
        #expect(hash != ProfileDocument(name: "Ana", bio: "Builds agents!", posts: [Self.post("Evals first", day: 2)]).contentHash(model: "m1"))
    }
}
