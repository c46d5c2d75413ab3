internal import Dispatch
internal import Glibc

/// Maps a fresh allocation's pages on a background thread (`MADV_POPULATE_WRITE`)
/// so that the thread filling it does not stop on page faults.
///
/// The hint never changes the memory's contents, so it is safe while another
/// thread writes there. Where the kernel lacks it (before Linux 5.14) it does nothing.
struct PageFaulter {
    private let done: DispatchSemaphore

    /// Starts populating `region` (whole pages inside it); does nothing for small regions.
    static func start(_ region: UnsafeRawBufferPointer) -> PageFaulter {
        let done = DispatchSemaphore(value: 0)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: region.baseAddress) + page - 1) / page * page
        let end = (Int(bitPattern: region.baseAddress) + region.count) / page * page
        guard end - start >= 4 << 20 else {
            done.signal()
            return PageFaulter(done: done)
        }
        let address = UInt(start)
        let length = end - start
        DispatchQueue.global().async {
            // 23: MADV_POPULATE_WRITE (Linux 5.14), which Glibc's headers here do not name.
            _ = madvise(UnsafeMutableRawPointer(bitPattern: address), length, 23)
            done.signal()
        }
        return PageFaulter(done: done)
    }

    /// Waits until the pages are mapped (before the allocation may be freed).
    func wait() { done.wait() }
}
