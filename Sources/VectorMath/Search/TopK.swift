/// The k best (score, id) pairs seen so far: higher score first, ties to the smaller id.
///
/// A binary heap whose root is the worst kept pair, so most candidates are
/// rejected by one comparison with ``threshold``. Because the order is total,
/// the result does not depend on the order candidates arrive in, which makes
/// parallel and blocked scans deterministic.
public struct TopK: Sendable {
    /// How many pairs are kept.
    public let k: Int
    @usableFromInline var heap: [Neighbor] = []

    /// An empty selection of the best `k`.
    public init(k: Int) {
        precondition(k > 0, "k must be positive")
        self.k = k
        heap.reserveCapacity(k)
    }

    /// Candidates scoring below this cannot enter; `-∞` until k are kept.
    @inlinable
    public var threshold: Float { heap.count < k ? -.infinity : heap[0].score }

    /// Offers a candidate; keeps it if it ranks among the best k.
    @inlinable
    public mutating func offer(_ candidate: Neighbor) {
        if heap.count < k {
            heap.append(candidate)
            siftUp(heap.count - 1)
        } else if candidate.ranks(before: heap[0]) {
            heap[0] = candidate
            siftDown(0)
        }
    }

    /// Offers every pair of another selection.
    public mutating func merge(_ other: TopK) {
        for candidate in other.heap { offer(candidate) }
    }

    /// Offers `scores[i]` with id `label(i)` for `i` in `0..<count`; `label`
    /// returns nil for rows that must be skipped (deleted rows). It is called only
    /// for scores that reach the threshold.
    @inlinable
    public mutating func offer(scores: UnsafePointer<Float>, count: Int, label: (Int) -> Int64?) {
        var bar = threshold
        for i in 0..<count where scores[i] >= bar {
            guard let id = label(i) else { continue }
            offer(Neighbor(id: id, score: scores[i]))
            bar = threshold
        }
    }

    /// The kept pairs, best first.
    public func sorted() -> [Neighbor] {
        heap.sorted { $0.ranks(before: $1) }
    }

    // The heap orders by "worse": the root ranks after every other element.
    @inlinable
    mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[parent].ranks(before: heap[child]) else { return }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    @inlinable
    mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            var worst = parent
            let left = 2 * parent + 1, right = left + 1
            if left < heap.count, heap[worst].ranks(before: heap[left]) { worst = left }
            if right < heap.count, heap[worst].ranks(before: heap[right]) { worst = right }
            if worst == parent { return }
            heap.swapAt(parent, worst)
            parent = worst
        }
    }
}
