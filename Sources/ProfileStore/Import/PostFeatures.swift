/// What a post's form shows, read from its text: the features whose effect on engagement
/// the strategy model estimates (docs/STRATEGY.md) and the sample data plants.
///
/// Each is a yes or no, so an estimate reads as "questions get 1.3× the engagement".
public struct PostFeatures: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The text asks something: it contains "?".
    public static let question = PostFeatures(rawValue: 1 << 0)
    /// A thread: starts with "Thread", carries 🧵, or has a "1/n" marker at a word start.
    public static let thread = PostFeatures(rawValue: 1 << 1)
    /// Opens with a hook: a first line of at most ``hookMaximumLength`` characters (spaces at its ends aside), then more lines.
    public static let hook = PostFeatures(rawValue: 1 << 2)
    /// At least ``longMinimumLength`` characters (Unicode scalars), not counting hashtag words.
    public static let long = PostFeatures(rawValue: 1 << 3)
    /// At least one pictographic emoji.
    public static let emoji = PostFeatures(rawValue: 1 << 4)
    /// Three hashtags or more.
    public static let manyHashtags = PostFeatures(rawValue: 1 << 5)

    /// Every feature with its name, in a fixed order (the names of the JSON and the CLI).
    public static let named: [(name: String, feature: PostFeatures)] = [
        ("question", .question), ("thread", .thread), ("hook", .hook), ("long", .long), ("emoji", .emoji), ("many_hashtags", .manyHashtags),
    ]

    /// The longest first line that counts as a hook.
    public static let hookMaximumLength = 60
    /// The shortest post, without its hashtags, that counts as long.
    public static let longMinimumLength = 180

    /// The features of `text`; `hashtags` are the post's hashtags when they are kept apart from
    /// the text (the larger of their count and the text's `#` words is used). Lengths count
    /// Unicode scalars. One pass over the UTF-8 bytes: a rebuild reads every post's features.
    public init(text: String, hashtags: [String] = []) {
        let space = UInt8(ascii: " "), newline = UInt8(ascii: "\n")
        var features: PostFeatures = []
        // Words are separated by single spaces or line breaks; a word is a hashtag when it is "#" and more.
        var length = -1  // each non-hashtag word's scalars plus one separator, less the last separator
        var hashtagWords = 0
        var wordScalars = 0
        var wordIsHashtag = false
        func endWord() {
            if wordIsHashtag, wordScalars > 1 { hashtagWords += 1 } else { length += wordScalars + 1 }
            wordScalars = 0
            wordIsHashtag = false
        }
        var firstLine: (start: Int, end: Int)?  // byte offsets of the first line, once it ended
        var restHasText = false
        for (offset, byte) in text.utf8.enumerated() {
            if byte == UInt8(ascii: "?") { features.insert(.question) }
            if byte == space || byte == newline {
                endWord()
                if byte == newline, firstLine == nil { firstLine = (0, offset) }
                continue
            }
            if byte & 0xC0 != 0x80 {
                if wordScalars == 0 { wordIsHashtag = byte == UInt8(ascii: "#") }
                wordScalars += 1
            }
            if firstLine != nil, byte != UInt8(ascii: "\t"), byte != UInt8(ascii: "\r") { restHasText = true }
        }
        endWord()
        if length >= Self.longMinimumLength { features.insert(.long) }
        if let firstLine, restHasText {
            let blank: (UInt8) -> Bool = { $0 == space || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
            let line = text.utf8.prefix(firstLine.end).drop(while: blank).reversed().drop(while: blank)
            let scalars = line.reduce(0) { $1 & 0xC0 != 0x80 ? $0 + 1 : $0 }
            if scalars > 0, scalars <= Self.hookMaximumLength { features.insert(.hook) }
        }
        if Self.isThread(text) { features.insert(.thread) }
        if Self.containsEmoji(text) { features.insert(.emoji) }
        if max(hashtagWords, hashtags.count) >= 3 { features.insert(.manyHashtags) }
        self = features
    }

    /// The names of the features present, in ``named`` order.
    public var names: [String] { Self.named.filter { contains($0.feature) }.map(\.name) }

    /// Whether `text` holds a pictographic emoji. Emoji are U+2100 or above (UTF-8 lead byte
    /// 0xE2 or more), so most texts are ruled out on their bytes alone.
    public static func containsEmoji(_ text: String) -> Bool {
        text.utf8.contains { $0 >= 0xE2 } && text.unicodeScalars.contains(where: isEmoji)
    }

    /// Pictographic emoji: U+2100 or above (not digits, # or © that may also be emoji) with the
    /// emoji property. Below U+2100 no scalar has emoji presentation (the first is U+231A), so
    /// letters and punctuation cost no Unicode property look-up, once most of a style analysis.
    public static func isEmoji(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= 0x2100 && (scalar.properties.isEmojiPresentation || scalar.properties.isEmoji)
    }

    /// Starts with "Thread", carries 🧵, or has a "1/n" marker at a word start (checked on
    /// UTF-8 bytes: a regular expression here cost more than the rest of the context).
    public static func isThread(_ text: String) -> Bool {
        if text.hasPrefix("Thread") || text.unicodeScalars.contains("🧵") { return true }
        let bytes = Array(text.utf8)
        for i in bytes.indices
        where bytes[i] == UInt8(ascii: "1") && i + 2 < bytes.count
            && bytes[i + 1] == UInt8(ascii: "/") && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i + 2])
            && (i == 0 || bytes[i - 1] == UInt8(ascii: " ") || bytes[i - 1] == UInt8(ascii: "\n"))
        {
            return true
        }
        return false
    }
}
