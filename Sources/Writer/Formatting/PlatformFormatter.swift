internal import Foundation

/// Fits generated text to a platform's rules. Lengths are counted as the platforms count them:
/// user-perceived characters (grapheme clusters, so an emoji with modifiers is one), and on X
/// every URL as 23 (its t.co link).
public enum PlatformFormatter {
    /// X's limit per post.
    public static let xLimit = 280
    /// Instagram's and TikTok's caption limit.
    public static let captionLimit = 2_200
    /// Instagram's hashtag limit.
    public static let instagramHashtagLimit = 30
    /// YouTube's title and description limits.
    public static let youTubeTitleLimit = 100, youTubeDescriptionLimit = 5_000

    /// `text` formatted for `platform`; `hashtags` (without `#`) are added to those in the text.
    public static func format(_ text: String, for platform: Platform, hashtags extra: [String] = []) -> FormattedPost {
        let (body, found) = extractHashtags(text)
        var tags: [String] = []
        for tag in found + extra where !tags.contains(where: { $0.caseInsensitiveCompare(tag) == .orderedSame }) { tags.append(tag) }
        switch platform {
        case .x:
            let tagged = tags.isEmpty ? body : body + " " + tags.prefix(3).map { "#" + $0 }.joined(separator: " ")
            return FormattedPost(platform: .x, parts: thread(tagged), title: nil, hashtags: Array(tags.prefix(3)))
        case .instagram:
            let kept = Array(tags.prefix(instagramHashtagLimit))
            return FormattedPost(platform: .instagram, parts: [caption(body, tags: kept)], title: nil, hashtags: kept)
        case .tiktok:
            return FormattedPost(platform: .tiktok, parts: [caption(body, tags: tags)], title: nil, hashtags: tags)
        case .youtube:
            let sentences = self.sentences(body)
            let title = truncate(sentences.first ?? body, to: youTubeTitleLimit)
            var description = sentences.dropFirst().joined(separator: " ")
            if description.isEmpty { description = body }
            if !tags.isEmpty { description += "\n\n" + tags.map { "#" + $0 }.joined(separator: " ") }
            return FormattedPost(platform: .youtube, parts: [truncate(description, to: youTubeDescriptionLimit)], title: title, hashtags: tags)
        }
    }

    /// The length X counts: characters, with each URL as 23.
    public static func xLength(_ text: String) -> Int {
        text.split(separator: " ", omittingEmptySubsequences: false).reduce(0) { total, word in
            total + (isURL(word) ? 23 : word.count)
        } + max(0, text.split(separator: " ", omittingEmptySubsequences: false).count - 1)
    }

    /// One post if it fits, else a thread split on sentence boundaries (words, then characters,
    /// when a sentence alone is too long), each post ending in " i/n" and within the limit.
    static func thread(_ text: String) -> [String] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard xLength(trimmed) > xLimit else { return [trimmed] }
        // Room for " 99/99" at the end of every part.
        let room = xLimit - 6
        var pieces: [String] = []
        for sentence in sentences(trimmed) {
            if xLength(sentence) <= room {
                pieces.append(sentence)
                continue
            }
            var current = ""
            for word in sentence.split(separator: " ").map(String.init) {
                var word = word
                while xLength(word) > room {  // a word longer than a post: cut it
                    if !current.isEmpty {
                        pieces.append(current)
                        current = ""
                    }
                    pieces.append(String(word.prefix(room)))
                    word = String(word.dropFirst(room))
                }
                let candidate = current.isEmpty ? word : current + " " + word
                if xLength(candidate) <= room {
                    current = candidate
                } else {
                    pieces.append(current)
                    current = word
                }
            }
            if !current.isEmpty { pieces.append(current) }
        }
        var parts: [String] = []
        var current = ""
        for piece in pieces {
            let candidate = current.isEmpty ? piece : current + " " + piece
            if xLength(candidate) <= room {
                current = candidate
            } else {
                parts.append(current)
                current = piece
            }
        }
        if !current.isEmpty { parts.append(current) }
        return parts.enumerated().map { "\($1) \($0 + 1)/\(parts.count)" }
    }

    /// The body, then a blank line and the hashtags, within the caption limit (the body is cut
    /// on a word boundary, with "…", when it must give way).
    static func caption(_ body: String, tags: [String]) -> String {
        let tagLine = tags.map { "#" + $0 }.joined(separator: " ")
        let separator = tagLine.isEmpty ? "" : "\n\n"
        let room = captionLimit - tagLine.count - separator.count
        return truncate(body, to: max(0, room)) + separator + tagLine
    }

    /// `text` cut to `limit` characters on a word boundary, ending in "…" when cut.
    static func truncate(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        guard limit > 1 else { return String(text.prefix(limit)) }
        var cut = String(text.prefix(limit - 1))
        if let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) > limit / 2 { cut = String(cut[..<space]) }
        return cut.trimmingCharacters(in: .whitespaces) + "…"
    }

    /// Sentences: text split after . ! ? (or a line break) followed by whitespace.
    static func sentences(_ text: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        var previous: Character?
        for character in text {
            if character.isWhitespace, let previous, ".!?\n".contains(previous) || character == "\n" {
                let sentence = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !sentence.isEmpty { sentences.append(sentence) }
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        let last = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !last.isEmpty { sentences.append(last) }
        return sentences
    }

    /// The text without its hashtags, and the hashtags in order of appearance.
    static func extractHashtags(_ text: String) -> (String, [String]) {
        var tags: [String] = []
        var words: [Substring] = []
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            let bare = word.trimmingCharacters(in: CharacterSet(charactersIn: ".,!?;:"))
            if bare.hasPrefix("#"), bare.count > 1, bare.dropFirst().allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                tags.append(String(bare.dropFirst()))
            } else {
                words.append(word)
            }
        }
        return (words.joined(separator: " "), tags)
    }

    private static func isURL(_ word: Substring) -> Bool {
        word.hasPrefix("http://") || word.hasPrefix("https://")
    }
}
