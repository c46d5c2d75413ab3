#if canImport(Glibc)
    import Glibc
#endif

/// How much of a buffer is in RAM, from the kernel's page table (`mincore`): a figure of one
/// allocation, unlike the process's resident size, which memory freed and reused elsewhere
/// in the process moves up or down.
public enum ResidentPages {
    /// Bytes of `buffer`'s pages that are resident (whole pages, so up to a page more than its length).
    public static func bytes(of buffer: UnsafeRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = Int(bitPattern: base) / page * page
        let end = (Int(bitPattern: base) + buffer.count + page - 1) / page * page
        let pages = (end - start) / page
        var flags = [UInt8](repeating: 0, count: pages)
        guard mincore(UnsafeMutableRawPointer(bitPattern: start), end - start, &flags) == 0 else { return 0 }
        return flags.reduce(0) { $0 + Int($1 & 1) } * page
    }
}
