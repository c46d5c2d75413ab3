extension Sequence {
    /// The first `count` elements of `sorted(by: areInIncreasingOrder)`, without sorting the
    /// rest: one comparison with the worst kept element for most elements, O(count) to insert the
    /// others. For a shortlist of tens out of thousands of candidates.
    func best(_ count: Int, by areInIncreasingOrder: (Element, Element) -> Bool) -> [Element] {
        guard count > 0 else { return [] }
        var kept: [Element] = []
        kept.reserveCapacity(count + 1)
        for element in self {
            if kept.count == count {
                guard areInIncreasingOrder(element, kept[count - 1]) else { continue }
                kept.removeLast()
            }
            // After the kept elements that precede it or tie with it, as a stable sort places it.
            var position = kept.count
            while position > 0, areInIncreasingOrder(element, kept[position - 1]) { position -= 1 }
            kept.insert(element, at: position)
        }
        return kept
    }
}
