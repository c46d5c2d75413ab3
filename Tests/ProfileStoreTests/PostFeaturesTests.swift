import Testing

@testable import ProfileStore

@Suite("Post features")
struct PostFeaturesTests {
    @Test("an emoji is what the Unicode properties say, over every scalar, with no look-up below U+2100")
    func emojiAgreesWithTheProperties() {
        let disagreeing = (0...0x10FFFF).compactMap(Unicode.Scalar.init).filter { scalar in
            let properties = scalar.properties
            let expected = properties.isEmojiPresentation || (properties.isEmoji && scalar.value >= 0x2100 && !properties.isASCIIHexDigit)
            return PostFeatures.isEmoji(scalar) != expected
        }
        #expect(disagreeing.isEmpty, "\(disagreeing.prefix(5).map { "U+" + String($0.value, radix: 16, uppercase: true) })")
        #expect(PostFeatures.containsEmoji("recovery week 🏃‍♀️ done") && !PostFeatures.containsEmoji("#1 © 2026 — café"))
    }
}
