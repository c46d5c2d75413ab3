import Testing
import VectorMath

@Suite struct TopKTests {
    @Test(arguments: [1, 3, 10, 100])
    func keepsTheBestInAnyArrivalOrder(k: Int) {
        var generator = SplitMix64(seed: UInt64(k))
        // Few distinct scores, so ties are common.
        let candidates = (0..<500).map { i in Neighbor(id: Int64(i), score: Float(generator.next() % 20)) }
        let expected = Array(candidates.sorted { $0.ranks(before: $1) }.prefix(k))
        for _ in 0..<5 {
            var selection = TopK(k: k)
            for candidate in candidates.shuffled(using: &generator) { selection.offer(candidate) }
            #expect(selection.sorted() == expected)
        }
    }

    @Test func mergingSplitSelectionsEqualsOneSelection() {
        var generator = SplitMix64(seed: 1)
        let candidates = (0..<300).map { i in Neighbor(id: Int64(i), score: generator.nextFloat()) }
        var whole = TopK(k: 7), left = TopK(k: 7), right = TopK(k: 7)
        for c in candidates { whole.offer(c) }
        for c in candidates[..<120] { left.offer(c) }
        for c in candidates[120...] { right.offer(c) }
        left.merge(right)
        #expect(left.sorted() == whole.sorted())
    }
}
