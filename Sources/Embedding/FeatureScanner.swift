/// Splits a field's text into hashed features in one pass over its UTF-8 bytes,
/// with no allocation: each word's FNV-1a hash is built while it is read.
enum FeatureScanner {
    /// The feature of a profile with no words.
    static let emptyProfileFeature: UInt64 = 0x6F6E_6572_696E_6700

    /// Salts that keep hashtags and word pairs apart from plain words.
    private static let hashtagSalt: UInt64 = 0x2323_2323_2323_2323
    private static let bigramSalt: UInt64 = 0x5F5F_5F5F_5F5F_5F5F

    /// Calls `emit(feature, weight)` for each word, hashtag and (if `bigrams`) word pair
    /// of `text`; returns how many features it emitted. With `saltsHashtags` off a hashtag
    /// is the same feature as the word (lexical matching: `#vo2max` matches "vo2max").
    @inline(__always)
    static func scan(
        _ text: String, field: ProfileDocument.Field, bigrams: Bool, saltsHashtags: Bool = true, _ emit: (UInt64, Float) -> Void
    ) -> Int {
        var text = text
        return text.withUTF8 { bytes in
            var emitted = 0
            var hash = FNV1a.offset
            var length = 0
            var asciiLetters = 0
            var startsWithHash = false
            var previous: UInt64? = nil
            func finishWord() {
                defer {
                    hash = FNV1a.offset
                    length = 0
                    asciiLetters = 0
                    startsWithHash = false
                }
                guard length > 0, !(length == 1 && asciiLetters == 1) else { return }
                if field == .hashtag || startsWithHash {
                    emit(saltsHashtags ? hash ^ hashtagSalt : hash, ProfileDocument.Field.hashtag.weight)
                    emitted += 1
                    return
                }
                guard !stopWords.contains(hash) else { return }
                emit(hash, field.weight)
                emitted += 1
                if bigrams, let previous {
                    emit((previous &* FNV1a.prime ^ hash) ^ bigramSalt, field.weight)
                    emitted += 1
                }
                previous = hash
            }
            var afterHashSign = false
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                // U+2000–U+206F (dashes, curly quotes, ellipsis, bullets) separate words like ASCII punctuation.
                if byte == 0xE2, index + 2 < bytes.count, bytes[index + 1] == 0x80 || bytes[index + 1] == 0x81 {
                    finishWord()
                    afterHashSign = false
                    index += 3
                    continue
                }
                var lower = byte
                if byte >= 0x41 && byte <= 0x5A { lower = byte | 0x20 }
                let isLetter = lower >= 0x61 && lower <= 0x7A
                if isLetter || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F || byte >= 0x80 {
                    if length == 0 { startsWithHash = afterHashSign }
                    hash = FNV1a.step(hash, UInt64(lower))
                    length += 1
                    if isLetter { asciiLetters += 1 }
                    afterHashSign = false
                } else {
                    finishWord()
                    afterHashSign = byte == 0x23
                }
                index += 1
            }
            finishWord()
            return emitted
        }
    }

    /// The FNV-1a hash of a lower-case ASCII word, as `scan` computes it.
    static func hash(_ word: String) -> UInt64 {
        FNV1a.hash(word.utf8)
    }

    /// Common English words that say nothing about a niche.
    static let stopWords: Set<UInt64> = Set(
        """
        the and for are but not you all any can had her was one our out day get has him his how man new now old see two way who \
        boy did its let put say she too use that with have this will your from they know want been good much some time very when \
        come here just like long make many more only over such take than them well were what into also most then these would \
        about after again being could every first other their there those which while where why yes ours off own same few \
        because before between both down during each further \
        is am be an at by do if in it me my no of on or so to up us we as
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { hash(String($0)) })
}
