import Testing
import Writer

@Suite("Platform formatting")
struct PlatformFormatterTests {
    @Test("X: a short post stays whole; a long one becomes a numbered thread split on sentences, no post over 280")
    func xThread() {
        #expect(PlatformFormatter.format("Short and sweet.", for: .x).parts == ["Short and sweet."])
        let sentence = String(repeating: "a", count: 200) + "."
        let text = (0..<4).map { _ in sentence }.joined(separator: " ")
        let parts = PlatformFormatter.format(text, for: .x).parts
        #expect(parts.count == 4)
        for (index, part) in parts.enumerated() {
            #expect(PlatformFormatter.xLength(part) <= 280)
            #expect(part.hasSuffix(" \(index + 1)/4") && part.hasPrefix(sentence))
        }
    }

    @Test("X: a single 280-character sentence with more text, and one longer than a post, are split without loss")
    func longSentences() {
        let exact = String(repeating: "b", count: 279) + "."
        let parts = PlatformFormatter.format(exact + " Then more.", for: .x).parts
        #expect(parts.allSatisfy { PlatformFormatter.xLength($0) <= 280 })
        let words = (0..<120).map { "word\($0)" }.joined(separator: " ")
        let split = PlatformFormatter.format(words, for: .x).parts
        #expect(split.allSatisfy { PlatformFormatter.xLength($0) <= 280 } && split.count > 1)
        let rejoined = split.map { $0.split(separator: " ").dropLast().joined(separator: " ") }.joined(separator: " ")
        #expect(rejoined == words)
    }

    @Test("X counts a URL as 23 and an emoji as one character")
    func xCounting() {
        let url = "https://example.com/" + String(repeating: "x", count: 200)
        #expect(PlatformFormatter.xLength("see " + url) == 4 + 23)
        let family = "👨‍👩‍👧‍👦"
        #expect(PlatformFormatter.xLength(String(repeating: family, count: 280)) == 280)
        #expect(PlatformFormatter.format(String(repeating: family, count: 280), for: .x).parts.count == 1)
    }

    @Test("Instagram: at most 30 hashtags, at the end; the caption within 2,200 characters")
    func instagram() {
        let tags = (1...31).map { "#tag\($0)" }.joined(separator: " ")
        let body = String(repeating: "Lovely morning run. ", count: 150)
        let post = PlatformFormatter.format("Morning run #run " + body + tags, for: .instagram)
        let caption = post.parts[0]
        #expect(post.hashtags.count == 30 && post.hashtags.first == "run")
        #expect(caption.count <= 2_200)
        #expect(caption.hasSuffix(post.hashtags.map { "#" + $0 }.joined(separator: " ")))
        #expect(caption.components(separatedBy: "#").count - 1 == 30)
    }

    @Test("TikTok: caption within 2,200 characters, hashtags included")
    func tiktok() {
        let post = PlatformFormatter.format(String(repeating: "dance ", count: 500) + "#fyp #dance", for: .tiktok)
        #expect(post.parts[0].count <= 2_200 && post.parts[0].hasSuffix("#fyp #dance"))
    }

    @Test("YouTube: the first sentence is the title (at most 100 characters), the rest the description")
    func youtube() {
        let post = PlatformFormatter.format("My marathon plan, week by week. Here is how I train. #running", for: .youtube)
        #expect(post.title == "My marathon plan, week by week.")
        #expect(post.parts[0] == "Here is how I train.\n\n#running")
        let long = PlatformFormatter.format(String(repeating: "long ", count: 60) + "title. Body.", for: .youtube)
        #expect((long.title?.count ?? 0) <= 100 && long.title?.hasSuffix("…") == true)
    }
}
