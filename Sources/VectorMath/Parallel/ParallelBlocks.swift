import Dispatch
import Synchronization

/// Splits `0..<count` into blocks and runs them on a fixed number of workers.
///
/// Workers claim blocks in order from a shared counter, so a worker slowed by
/// another process does not hold the others up. Each worker has an index in
/// `0..<workers` for its own scratch space; results must not depend on which
/// worker ran which block (callers merge with order-independent operations).
public enum ParallelBlocks {
    /// Runs `body(worker, range)` for every block of `blockSize` in `0..<count`.
    ///
    /// - Parameters:
    ///   - threads: the most workers to use; fewer when there are fewer blocks.
    ///   - body: called once per block, concurrently from different workers.
    public static func forEach(count: Int, blockSize: Int, threads: Int, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
        precondition(blockSize > 0, "block size must be positive")
        let blocks = (count + blockSize - 1) / blockSize
        let workers = max(1, min(threads, blocks))
        if workers == 1 {
            for block in 0..<blocks { body(0, block * blockSize..<min(count, (block + 1) * blockSize)) }
            return
        }
        let next = Atomic<Int>(0)
        // Blocks are disjoint and each worker owns its scratch: callers keep
        // `body` free of shared mutable state.
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            while true {
                let block = next.add(1, ordering: .relaxed).oldValue
                guard block < blocks else { return }
                body(worker, block * blockSize..<min(count, (block + 1) * blockSize))
            }
        }
    }

    /// The number of workers ``forEach(count:blockSize:threads:_:)`` will use.
    public static func workers(count: Int, blockSize: Int, threads: Int) -> Int {
        max(1, min(threads, (count + blockSize - 1) / blockSize))
    }
}
