internal import CVectorKernels
internal import Foundation
internal import ProfileStore
internal import VectorMath

/// Every post's compact embedding (`PostCodec`) and lexical terms in memory, by author, with the
/// corpus statistics BM25 needs. Changed in place by the change feed: a replaced or deleted post
/// leaves a dead slot, reclaimed when dead slots outnumber a quarter of the live ones.
///
/// Per post: its fields together (id, author, date, engagement rate, code scale, where its code
/// and terms lie: 40 bytes), the code (sparse: 4 bytes + 3 a component; projected: 4 bytes + 1 a
/// coordinate), the terms (4 bytes each), and the lookups by id and by author.
struct PostIndex: Sendable {
    /// One post scored against a query.
    struct Hit: Sendable {
        var postID: Int64
        var authorID: Int64
        var publishedAt: Date
        /// (likes + reposts) / views.
        var engagementRate: Double
        /// Cosine of the post's vector and the query's.
        var semantic: Double
        /// BM25 of the query's terms in the post.
        var lexical: Double
    }

    /// A query: what codes are scored against (`PostCodec.query`), and its term ids.
    struct Query: Sendable {
        /// The unit query (sparse codes) or its coordinates along the axes (projected codes).
        var vector: [Float]
        /// Added to every code's dot product (the axes' mean · the query; 0 for sparse codes).
        var offset: Float = 0
        var terms: [UInt32]
        /// The unit query itself (what cohort centroids are compared with).
        var unit: [Float]
    }

    /// BM25's term-frequency saturation and length normalisation (the usual values).
    static let k1 = 1.2, b = 0.75

    /// One post's fields, side by side: a scan reads them from one or two cache lines, not from
    /// nine arrays (and an author's posts, mostly adjacent slots, from consecutive lines).
    struct Fields: BitwiseCopyable, Sendable, Equatable {
        var postID: Int64
        var authorID: Int64
        /// Minutes since 1970.
        var minute: Int32
        /// (likes + reposts) / views.
        var rate: Float
        /// The code's scale.
        var scale: Float
        var codeStart: UInt32
        var termStart: UInt32
        var codeCount: UInt16
        var termCount: UInt16

        /// Where the post's code lies in `values` (and `dimensions`).
        var code: Range<Int> { Int(codeStart)..<Int(codeStart) + Int(codeCount) }
        /// Where the post's terms lie in `terms`.
        var termRange: Range<Int> { Int(termStart)..<Int(termStart) + Int(termCount) }
    }

    // Internal, not private, for the snapshot (PostIndex+Snapshot.swift); changed only by this type's methods.
    /// Each slot's post (dead slots keep their old fields until the next compaction).
    var fields: [Fields] = []
    /// Whether the codes are projected (`ProjectedCode`, no dimensions kept) rather than sparse;
    /// set by the first code, and a code of the other kind is refused.
    var projected: Bool?
    var dimensions: [UInt16] = []
    var values: [Int8] = []
    var terms: [UInt32] = []
    var slots = SlotTable()
    var byAuthor: [Int64: [Int32]] = [:]
    var documentFrequency: [UInt32: Int32] = [:]
    var totalLength = 0
    var deadSlots = 0

    /// Live posts.
    var count: Int { slots.count }

    /// Whether the index holds the post.
    func contains(_ postID: Int64) -> Bool { slots[postID] != nil }

    /// Bytes held per live post: the slot arrays, codes, terms and lookups (dictionary entries
    /// counted at their key and value size over a 0.75 load factor).
    var bytesPerPost: (code: Double, terms: Double, total: Double) {
        guard count > 0 else { return (0, 0, 0) }
        let slotBytes = fields.count * MemoryLayout<Fields>.stride
        let codeBytes = dimensions.count * 2 + values.count
        let termBytes = terms.count * 4 + documentFrequency.count * 8 * 4 / 3
        let lookupBytes = slots.allocatedBytes + byAuthor.count * 40 + fields.count * 4
        let posts = Double(count)
        return (Double(codeBytes) / posts, Double(termBytes) / posts, Double(slotBytes + codeBytes + termBytes + lookupBytes) / posts)
    }

    /// The authors whose posts the index holds.
    var allAuthors: Dictionary<Int64, [Int32]>.Keys { byAuthor.keys }

    /// Whether the index holds `entry` as it is: the same date, engagement, code and terms (the
    /// change feed repeats rows while an older transaction runs).
    func holds(_ entry: PostEmbeddingChanges.Entry) -> Bool {
        guard let slot = slots[entry.postID].map(Int.init), case let post = fields[slot], post.authorID == entry.authorID,
            post.minute == Int32(clamping: Int((entry.publishedAt.timeIntervalSince1970 / 60).rounded(.down))),
            post.rate == Float(entry.engagementRate)
        else { return false }
        let stored = post.code
        let code: (scale: Float, dimensions: [UInt16], values: [Int8])
        if let projected = try? ProjectedCode(bytes: entry.code) {
            code = (projected.scale, [], projected.values)
        } else if let sparse = try? SparseCode(bytes: entry.code) {
            code = (sparse.scale, sparse.dimensions, sparse.values)
        } else {
            return false
        }
        return post.scale == code.scale && values[stored].elementsEqual(code.values)
            && (projected == true || dimensions[stored].elementsEqual(code.dimensions)) && terms[post.termRange].elementsEqual(entry.terms)
    }

    /// Adds or replaces a post; returns false (and keeps what it had) for a code that does not decode.
    @discardableResult
    mutating func upsert(_ entry: PostEmbeddingChanges.Entry) -> Bool {
        entry.code.withUnsafeBytes { code in
            entry.terms.withUnsafeBytes { terms in
                upsert(
                    postID: entry.postID, authorID: entry.authorID, publishedAt: entry.publishedAt, engagementRate: entry.engagementRate,
                    code: code, terms: terms)
            }
        }
    }

    /// Adds or replaces a post from its stored bytes (`terms`: UInt32 LE ids, sorted), copied
    /// straight into the index; returns false (and keeps what it had) for a code that does not
    /// decode or is of the other kind than the index's.
    @discardableResult
    mutating func upsert(
        postID: Int64, authorID: Int64, publishedAt: Date, engagementRate: Double, code: UnsafeRawBufferPointer, terms postTerms: UnsafeRawBufferPointer
    ) -> Bool {
        let isProjected = ProjectedCode.isProjected(code)
        guard projected == nil || projected == isProjected else { return false }
        let count: Int, scale: Float, valuesAt: Int
        do throws(VectorMathError) {
            if isProjected {
                (count, scale) = try ProjectedCode.header(code)
                valuesAt = 8
            } else {
                (count, scale) = try SparseCode.header(code)
                valuesAt = 6 + 2 * count
                for index in 0..<count { dimensions.append(code.loadUnaligned(fromByteOffset: 6 + 2 * index, as: UInt16.self).littleEndian) }
            }
        } catch {
            return false
        }
        projected = isProjected
        remove(postID)
        let slot = Int32(fields.count)
        let termTotal = min(postTerms.count / 4, Int(UInt16.max))
        fields.append(
            Fields(
                postID: postID, authorID: authorID, minute: Int32(clamping: Int((publishedAt.timeIntervalSince1970 / 60).rounded(.down))),
                rate: Float(engagementRate), scale: scale, codeStart: UInt32(values.count), termStart: UInt32(terms.count),
                codeCount: UInt16(count), termCount: UInt16(termTotal)))
        for index in 0..<count { values.append(Int8(bitPattern: code[valuesAt + index])) }
        var previous: UInt32?
        for index in 0..<termTotal {
            let term = postTerms.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self).littleEndian
            terms.append(term)
            if term != previous { documentFrequency[term, default: 0] += 1 }
            previous = term
        }
        totalLength += termTotal
        slots.set(slot, for: postID)
        byAuthor[authorID, default: []].append(slot)
        return true
    }

    /// Removes a post if the index holds it; returns whether it did.
    @discardableResult
    mutating func remove(_ postID: Int64) -> Bool {
        guard let slot = slots.removeValue(forKey: postID).map(Int.init) else { return false }
        let post = fields[slot]
        byAuthor[post.authorID]?.removeAll { $0 == Int32(slot) }
        if byAuthor[post.authorID]?.isEmpty == true { byAuthor[post.authorID] = nil }
        var previous: UInt32?
        for term in terms[post.termRange] where term != previous {
            documentFrequency[term]! -= 1
            if documentFrequency[term] == 0 { documentFrequency[term] = nil }
            previous = term
        }
        totalLength -= Int(post.termCount)
        deadSlots += 1
        if deadSlots > 1_024 && deadSlots > slots.count / 4 { compact() }
        return true
    }

    /// Rebuilds the arrays without dead slots.
    mutating func compact() {
        var fresh = PostIndex()
        fresh.slots = SlotTable(capacity: slots.count, seed: slots.seed)
        for slot in slots.allSlots.sorted() {
            var post = fields[Int(slot)]
            let code = post.code, kept = post.termRange
            let new = Int32(fresh.fields.count)
            post.codeStart = UInt32(fresh.values.count)
            post.termStart = UInt32(fresh.terms.count)
            fresh.fields.append(post)
            if projected != true { fresh.dimensions += dimensions[code] }
            fresh.values += values[code]
            fresh.terms += terms[kept]
            fresh.slots.set(new, for: post.postID)
            fresh.byAuthor[post.authorID, default: []].append(new)
        }
        fresh.documentFrequency = documentFrequency
        fresh.totalLength = totalLength
        fresh.projected = projected
        self = fresh
    }

    /// Every post of `authors` published in `window`, scored against `query`: the cosine of
    /// the codes and BM25 over the whole index's statistics. Posts with neither a positive
    /// cosine nor a matching term are left out unless `keepUnmatched`.
    ///
    /// The authors' slots are gathered first, then scored in one pass that asks for the code and
    /// terms of the slot ``prefetchDistance`` ahead, and the fields of the one twice as far, to be
    /// brought into cache: the posts of a few hundred authors are scattered over the index, and
    /// waiting on memory was most of this function's time.
    /// - Complexity: O(components + terms) per post looked at; no allocation per post.
    func score(_ query: Query, authors: some Sequence<Int64>, window: ClosedRange<Date>, keepUnmatched: Bool = false) -> [Hit] {
        let from = Int32(clamping: Int((window.lowerBound.timeIntervalSince1970 / 60).rounded(.down)))
        let to = Int32(clamping: Int((window.upperBound.timeIntervalSince1970 / 60).rounded(.up)))
        let queryTerms = Array(Set(query.terms)).sorted()
        let documents = Double(max(count, 1))
        let averageLength = max(1, Double(totalLength) / documents)
        let weights = queryTerms.map { term -> Double in
            let frequency = Double(documentFrequency[term] ?? 0)
            return log(1 + (documents - frequency + 0.5) / (frequency + 0.5))
        }
        var gathered: [Int32] = []
        for author in authors { if let slots = byAuthor[author] { gathered += slots } }
        var hits: [Hit] = []
        hits.reserveCapacity(gathered.count)
        let isProjected = projected == true
        let distance = Self.prefetchDistance
        query.vector.withUnsafeBufferPointer { vector in
            fields.withUnsafeBufferPointer { fields in
                dimensions.withUnsafeBufferPointer { dimensions in
                    values.withUnsafeBufferPointer { values in
                        for (position, slot) in gathered.enumerated() {
                            // The fields two distances ahead, the code and terms (whose start is then in cache) one ahead.
                            if position + 2 * distance < gathered.count { onering_prefetch(fields.baseAddress! + Int(gathered[position + 2 * distance])) }
                            if position + distance < gathered.count { prefetchBody(fields[Int(gathered[position + distance])]) }
                            let post = fields[Int(slot)]
                            guard post.minute >= from && post.minute <= to else { continue }
                            var dot: Float = 0
                            let start = Int(post.codeStart)
                            if isProjected {
                                for index in 0..<Int(post.codeCount) { dot += Float(values[start + index]) * vector[index] }
                            } else {
                                for index in start..<start + Int(post.codeCount) { dot += Float(values[index]) * vector[Int(dimensions[index])] }
                            }
                            let semantic = Double(dot * post.scale + query.offset)
                            let lexical = queryTerms.isEmpty ? 0 : bm25(post, queryTerms: queryTerms, weights: weights, averageLength: averageLength)
                            guard keepUnmatched || semantic > 0 || lexical > 0 else { continue }
                            hits.append(
                                Hit(
                                    postID: post.postID, authorID: post.authorID, publishedAt: Date(timeIntervalSince1970: Double(post.minute) * 60),
                                    engagementRate: Double(post.rate), semantic: semantic, lexical: lexical))
                        }
                    }
                }
            }
        }
        return hits
    }

    /// How many slots ahead ``score(_:authors:window:keepUnmatched:)`` prefetches a post's code
    /// and terms (its fields twice as far): about a memory latency's worth of posts.
    static let prefetchDistance = 8

    /// Asks for the cache lines of `post`'s code and terms.
    private func prefetchBody(_ post: Fields) {
        values.withUnsafeBufferPointer { onering_prefetch($0.baseAddress! + Int(post.codeStart)) }
        if projected != true { dimensions.withUnsafeBufferPointer { onering_prefetch($0.baseAddress! + Int(post.codeStart)) } }
        terms.withUnsafeBufferPointer { onering_prefetch($0.baseAddress! + Int(post.termStart)) }
    }

    /// BM25 of the sorted, distinct `queryTerms` in `post` (its terms are sorted).
    private func bm25(_ post: Fields, queryTerms: [UInt32], weights: [Double], averageLength: Double) -> Double {
        let start = Int(post.termStart), end = start + Int(post.termCount)
        let norm = Self.k1 * (1 - Self.b + Self.b * Double(end - start) / averageLength)
        return terms.withUnsafeBufferPointer { terms in
            var score = 0.0
            var position = start
            for (index, term) in queryTerms.enumerated() {
                while position < end && terms[position] < term { position += 1 }
                var frequency = 0.0
                while position < end && terms[position] == term {
                    frequency += 1
                    position += 1
                }
                if frequency > 0 { score += weights[index] * frequency * (Self.k1 + 1) / (frequency + norm) }
            }
            return score
        }
    }
}
