internal import Foundation

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
    /// Opens with a hook: a first line of at most ``hookMaximumLength`` characters, then more lines.
    public static let hook = PostFeatures(rawValue: 1 << 2)
    /// At least ``longMinimumLength`` characters, not counting hashtags.
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
    /// the text (the larger of their count and the text's `#` words is used).
    public init(text: String, hashtags: [String] = []) {
        var features: PostFeatures = []
        if text.utf8.contains(UInt8(ascii: "?")) { features.insert(.question) }
        if Self.isThread(text) { features.insert(.thread) }
        if let newline = text.firstIndex(of: "\n") {
            let first = text[..<newline].trimmingCharacters(in: .whitespaces)
            let rest = text[newline...].trimmingCharacters(in: .whitespacesAndNewlines)
            if !first.isEmpty, first.count <= Self.hookMaximumLength, !rest.isEmpty { features.insert(.hook) }
        }
        var hashtagWords = 0
        var length = 0
        for word in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == " " || $0 == "\n" }) {
            if word.hasPrefix("#"), word.count > 1 {
                hashtagWords += 1
            } else {
                length += word.count + 1
            }
        }
        if length - 1 >= Self.longMinimumLength { features.insert(.long) }
        // Emoji are U+2100 or above: UTF-8 lead byte 0xE2 or more. Most posts have none.
        if text.utf8.contains(where: { $0 >= 0xE2 }), text.unicodeScalars.contains(where: Self.isEmoji) { features.insert(.emoji) }
        if max(hashtagWords, hashtags.count) >= 3 { features.insert(.manyHashtags) }
        self = features
    }

    /// The names of the features present, in ``named`` order.
    public var names: [String] { Self.named.filter { contains($0.feature) }.map(\.name) }

    /// Pictographic emoji (not digits or # that merely may start an emoji sequence).
    public static func isEmoji(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isEmojiPresentation || (scalar.properties.isEmoji && scalar.value >= 0x2100 && !scalar.properties.isASCIIHexDigit)
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
