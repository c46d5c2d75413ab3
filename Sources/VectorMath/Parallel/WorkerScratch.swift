/// One 64-byte-aligned float buffer per worker.
struct WorkerScratch {
    private let base: UnsafeMutablePointer<Float>?
    private let floats: Int

    init(workers: Int, floats: Int) {
        // Round each worker's share to a cache line so workers never share one.
        self.floats = (floats + 15) / 16 * 16
        base =
            workers == 0
            ? nil
            : UnsafeMutableRawPointer
                .allocate(byteCount: workers * self.floats * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: workers * self.floats)
    }

    subscript(worker: Int) -> UnsafeMutablePointer<Float> { base! + worker * floats }

    func deallocate() { base?.deallocate() }
}
