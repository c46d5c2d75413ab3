import Testing

@testable import VectorMath

@Suite("centroid scores of the k-means passes")
struct CentroidScoresTests {
    @Test(
        "every score is the dot product to float rounding, and a point's scores are the same bits in any tile",
        arguments: [(1, 3), (63, 70), (64, 384), (65, 17), (200, 96)])
    func scoresAreDotProductsWhateverTheTile(k: Int, dims: Int) throws {
        let points = SyntheticVectors(dims: dims, clusters: 5, spread: 1, seed: UInt64(k)).generate(count: 23)
        let centroids = SyntheticVectors(dims: dims, clusters: 0, seed: UInt64(k + 1)).generate(count: k)
        let scorer = CentroidScores(centroids, backend: try BLASBackend.shared())
        var together = [Float](repeating: .nan, count: points.rows * k)
        points.withUnsafeBufferPointer { scorer.score(rows: $0.baseAddress!, count: points.rows, into: &together) }
        for row in 0..<points.rows {
            var alone = [Float](repeating: .nan, count: k)
            points.row(row).withUnsafeBufferPointer { scorer.score(rows: $0.baseAddress!, count: 1, into: &alone) }
            #expect(Array(together[row * k..<(row + 1) * k]) == alone, "row \(row)")
            for c in 0..<k {
                let exact = zip(points.row(row), centroids.row(c)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                let scale = zip(points.row(row), centroids.row(c)).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
                #expect(abs(Double(alone[c]) - exact) <= Double(dims + 2) * 0x1p-24 * scale, "row \(row), centroid \(c)")
            }
        }
    }
}
