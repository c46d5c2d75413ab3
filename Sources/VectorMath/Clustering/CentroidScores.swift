#if arch(x86_64) && !ONERING_PORTABLE_ONLY
    internal import CVectorKernels
#endif

/// ⟨x, c⟩ of tiles of points with every centroid: Lloyd's assignment and the GEMM scoring of
/// Elkan's bounds, one object per pass.
///
/// With AVX-512, a kernel of ours (`onering_float_scores_avx512`) over the centroids packed once
/// for the pass: sgemm packs them again for every tile of points, which at these shapes (k up to
/// a few hundred) took 18 % of a pass. Each score is summed in coordinate order, so a point's
/// scores are the same bits in any tile, gathered or in place, in a plain or a pruned pass.
/// Without AVX-512, sgemm.
final class CentroidScores {
    let k: Int
    let dims: Int
    private let centroids: Matrix<Float>
    private let packed: UnsafeMutablePointer<Float>?
    private let backend: BLASBackend

    init(_ centroids: Matrix<Float>, backend: BLASBackend) {
        self.centroids = centroids
        self.backend = backend
        let k = centroids.rows, dims = centroids.columns
        self.k = k
        self.dims = dims
        #if arch(x86_64) && !ONERING_PORTABLE_ONLY
            if CPUFeatures.current.hasAVX512 {
                let panels = UnsafeMutablePointer<Float>.allocate(capacity: (k + 63) / 64 * 64 * dims)
                centroids.withUnsafeBufferPointer { onering_pack_centroids($0.baseAddress!, k, dims, panels) }
                packed = panels
                return
            }
        #endif
        packed = nil
    }

    deinit { packed?.deallocate() }

    /// `scores[r · k + c]` = ⟨row r, centroid c⟩ for the `count` rows at `rows` (`dims` floats apart).
    func score(rows: UnsafePointer<Float>, count: Int, into scores: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        #if arch(x86_64) && !ONERING_PORTABLE_ONLY
            if let packed {
                onering_float_scores_avx512(rows, count, dims, packed, k, scores, k)
                return
            }
        #endif
        centroids.withUnsafeBufferPointer { c in
            backend.multiplyTransposed(m: count, n: k, k: dims, a: rows, lda: dims, b: c.baseAddress!, ldb: dims, c: scores, ldc: k)
        }
    }
}
