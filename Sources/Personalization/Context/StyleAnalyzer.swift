internal import ProfileStore

/// Style hints from a creator's own posts: length, hashtags, emoji and thread use, platforms.
enum StyleAnalyzer {
    static func hints(_ posts: [PostRecord]) -> PersonalizationContext.StyleHints {
        guard !posts.isEmpty else {
            return .init(posts: 0, medianLength: 0, hashtagsPerPost: 0, emojiShare: 0, threadShare: 0, topHashtags: [], platforms: [])
        }
        let lengths = posts.map { $0.text.count }.sorted()
        var hashtags: [String: Int] = [:]
        var platforms: [String: Int] = [:]
        var emoji = 0, threads = 0
        for post in posts {
            for tag in post.hashtags { hashtags[tag.lowercased(), default: 0] += 1 }
            platforms[post.platform, default: 0] += 1
            if PostFeatures.containsEmoji(post.text) { emoji += 1 }
            if PostFeatures.isThread(post.text) { threads += 1 }
        }
        let n = Double(posts.count)
        return .init(
            posts: posts.count, medianLength: lengths[lengths.count / 2],
            hashtagsPerPost: Double(posts.reduce(0) { $0 + $1.hashtags.count }) / n,
            emojiShare: Double(emoji) / n, threadShare: Double(threads) / n,
            topHashtags: hashtags.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5).map(\.key),
            platforms: platforms.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
        )
    }
}
