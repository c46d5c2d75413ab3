internal import Foundation

// The context's compact JSON, written field by field in sorted-key order: the same bytes as
// `PersonalizationContext.encoder()` makes (a test compares them), a tenth of the time.
// A field added to one of these types is added here too; the test's context sets every field.

extension PersonalizationContext {
    /// The compact JSON of the context, as ``jsonData(pretty:)`` returns it.
    func compactJSON() -> [UInt8] {
        var json = JSONBytes(capacity: 8_192)
        write(to: &json)
        return json.bytes
    }

    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("asOf")
        json.date(asOf)
        if let brief {
            json.key("brief")
            brief.write(to: &json)
        }
        json.key("budget")
        budget.write(to: &json)
        if let cohort {
            json.key("cohort")
            cohort.write(to: &json)
        }
        json.key("creator")
        creator.write(to: &json)
        json.key("embedding")
        embedding.write(to: &json)
        json.key("exemplars")
        json.array(exemplars) { $1.write(to: &$0) }
        json.key("generatedAt")
        json.date(generatedAt)
        json.key("postingTimes")
        json.array(postingTimes) { $1.write(to: &$0) }
        json.key("search")
        search.write(to: &json)
        json.key("similarCreators")
        json.array(similarCreators) { $1.write(to: &$0) }
        json.key("strategy")
        strategy.write(to: &json)
        json.key("style")
        style.write(to: &json)
        json.key("trendingTopics")
        json.array(trendingTopics) { $1.write(to: &$0) }
        json.key("version")
        json.string(version)
        json.endObject()
    }
}

extension JSONBytes {
    /// An array of `items`, each written by `write`.
    mutating func array<Item>(_ items: [Item], _ write: (inout JSONBytes, Item) -> Void) {
        beginArray()
        for item in items { write(&self, item) }
        endArray()
    }

    /// The JSON bytes of one part of a context (what dropping it saves).
    static func count<Item>(_ item: Item, _ write: (inout JSONBytes, Item) -> Void) -> Int {
        var json = JSONBytes()
        write(&json, item)
        return json.bytes.count
    }
}

extension PersonalizationContext.Brief {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("source")
        json.string(source)
        json.key("text")
        json.string(text)
        json.endObject()
    }
}

extension PersonalizationContext.Budget {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("dropped")
        json.beginObject()
        for (field, count) in dropped.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            json.key(field)
            json.int(count)
        }
        json.endObject()
        json.key("estimatedTokens")
        json.int(estimatedTokens)
        json.key("exceeded")
        json.bool(exceeded)
        json.key("tokens")
        json.int(tokens)
        json.endObject()
    }
}

extension PersonalizationContext.CohortMembership {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("id")
        json.int(id)
        json.key("label")
        json.string(label)
        json.key("runID")
        json.int(runID)
        json.key("similarity")
        json.double(similarity)
        json.key("size")
        json.int(size)
        json.key("terms")
        json.strings(terms)
        json.endObject()
    }
}

extension PersonalizationContext.Creator {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("bio")
        json.string(bio)
        json.key("handle")
        json.string(handle)
        json.key("id")
        json.int(id)
        json.key("name")
        json.string(name)
        json.endObject()
    }
}

extension PersonalizationContext.EmbeddingInfo {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("model")
        json.string(model)
        json.key("refreshed")
        json.bool(refreshed)
        json.endObject()
    }
}

extension PersonalizationContext.Exemplar {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("authorHandle")
        json.string(authorHandle)
        json.key("authorID")
        json.int(authorID)
        json.key("breakdown")
        breakdown.write(to: &json)
        json.key("hashtags")
        json.strings(hashtags)
        json.key("own")
        json.bool(own)
        json.key("platform")
        json.string(platform)
        json.key("postID")
        json.int(postID)
        json.key("publishedAt")
        json.date(publishedAt)
        json.key("relevance")
        json.double(relevance)
        json.key("score")
        json.double(score)
        json.key("text")
        json.string(text)
        json.key("topics")
        json.strings(topics)
        json.endObject()
    }
}

extension PersonalizationContext.ScoreBreakdown {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        if let brief {
            json.key("brief")
            json.double(brief)
        }
        json.key("diversity")
        json.double(diversity)
        json.key("engagement")
        json.double(engagement)
        if let lexical {
            json.key("lexical")
            json.double(lexical)
        }
        json.key("recency")
        json.double(recency)
        json.key("semantic")
        json.double(semantic)
        json.endObject()
    }
}

extension PersonalizationContext.SearchInfo {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("k")
        json.int(k)
        json.key("mode")
        json.string(mode)
        if let nprobe {
            json.key("nprobe")
            json.int(nprobe)
        }
        json.endObject()
    }
}

extension PersonalizationContext.SimilarCreator {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("handle")
        json.string(handle)
        json.key("id")
        json.int(id)
        json.key("score")
        json.double(score)
        json.endObject()
    }
}

extension PersonalizationContext.Strategy {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("whatPerforms")
        json.array(whatPerforms) { $1.write(to: &$0) }
        json.endObject()
    }
}

extension PersonalizationContext.StyleHints {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("emojiShare")
        json.double(emojiShare)
        json.key("hashtagsPerPost")
        json.double(hashtagsPerPost)
        json.key("medianLength")
        json.int(medianLength)
        json.key("platforms")
        json.strings(platforms)
        json.key("posts")
        json.int(posts)
        json.key("threadShare")
        json.double(threadShare)
        json.key("topHashtags")
        json.strings(topHashtags)
        json.endObject()
    }
}

extension CohortStrategy.Uplift {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("effect")
        json.double(effect)
        json.key("factor")
        json.string(factor)
        json.key("high")
        json.double(high)
        json.key("low")
        json.double(low)
        if let platform {
            json.key("platform")
            json.string(platform)
        }
        json.key("posts")
        json.int(posts)
        json.key("standardError")
        json.double(standardError)
        if let topic {
            json.key("topic")
            json.string(topic)
        }
        json.key("uplift")
        json.double(uplift)
        json.endObject()
    }
}

extension CohortTraits.PostingSlot {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        if let evidence {
            json.key("evidence")
            json.double(evidence)
        }
        if let high {
            json.key("high")
            json.double(high)
        }
        json.key("hour")
        json.int(hour)
        if let low {
            json.key("low")
            json.double(low)
        }
        json.key("medianEngagementRate")
        json.double(medianEngagementRate)
        json.key("posts")
        json.int(posts)
        if let uplift {
            json.key("uplift")
            json.double(uplift)
        }
        json.key("weekday")
        json.int(weekday)
        json.endObject()
    }
}

extension CohortTraits.TrendingTopic {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("baselinePosts")
        json.int(baselinePosts)
        json.key("lift")
        json.double(lift)
        json.key("recentPosts")
        json.int(recentPosts)
        json.key("score")
        json.double(score)
        json.key("topic")
        json.string(topic)
        json.endObject()
    }
}
