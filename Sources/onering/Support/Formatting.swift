import Foundation

/// Fixed-precision number formatting for report lines.
extension Double {
    func fixed(_ digits: Int) -> String { String(format: "%.\(digits)f", self) }
}

/// Latency statistics over a list of durations in seconds.
struct Latencies {
    let sorted: [Double]

    init(_ seconds: [Double]) { sorted = seconds.sorted() }

    /// The `p`-th percentile (nearest rank), in seconds.
    func percentile(_ p: Double) -> Double {
        sorted[min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))]
    }

    var mean: Double { sorted.reduce(0, +) / Double(sorted.count) }
}

/// Monotonic seconds.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
