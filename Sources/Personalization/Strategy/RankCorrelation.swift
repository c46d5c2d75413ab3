/// Spearman's rank correlation: Pearson's correlation of the ranks, ties given their mean rank.
public enum RankCorrelation {
    /// ρ of `a` and `b` (equal lengths), or nil with fewer than three pairs or a constant side.
    public static func spearman(_ a: [Double], _ b: [Double]) -> Double? {
        precondition(a.count == b.count, "rank correlation needs pairs")
        guard a.count >= 3 else { return nil }
        return pearson(ranks(a), ranks(b))
    }

    /// Ranks from 1, ties sharing the mean of their ranks.
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, values[order[end + 1]] == values[order[start]] { end += 1 }
            let mean = Double(start + end) / 2 + 1
            for position in start...end { ranks[order[position]] = mean }
            start = end + 1
        }
        return ranks
    }

    private static func pearson(_ a: [Double], _ b: [Double]) -> Double? {
        let n = Double(a.count)
        let meanA = a.reduce(0, +) / n
        let meanB = b.reduce(0, +) / n
        var covariance = 0.0, varianceA = 0.0, varianceB = 0.0
        for (x, y) in zip(a, b) {
            covariance += (x - meanA) * (y - meanB)
            varianceA += (x - meanA) * (x - meanA)
            varianceB += (y - meanB) * (y - meanB)
        }
        guard varianceA > 0, varianceB > 0 else { return nil }
        return covariance / (varianceA * varianceB).squareRoot()
    }
}
