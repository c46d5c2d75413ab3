import Foundation

/// This process's memory mappings (`/proc/self/maps`), to tell which file a
/// loaded symbol came from (`dladdr` needs `_GNU_SOURCE`, which the Swift
/// Glibc module cannot share with other modules).
enum MemoryMaps {
    /// The file mapped at `address`, or nil.
    static func path(containing address: UInt) -> String? {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return nil }
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, let dash = fields[0].firstIndex(of: "-"),
                let start = UInt(fields[0][..<dash], radix: 16),
                let end = UInt(fields[0][fields[0].index(after: dash)...], radix: 16),
                (start..<end).contains(address)
            else { continue }
            return fields[5...].joined(separator: " ")
        }
        return nil
    }
}
