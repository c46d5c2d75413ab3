internal import Foundation

extension Double {
    /// The value rounded to `places` decimal places: what the strategy's figures are reported with.
    func rounded(places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
