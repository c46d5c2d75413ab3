import ArgumentParser
import Foundation
import Personalization
import VectorMath

/// `onering bench posts`: what the compact post codes lose against float32 on real vectors.
struct PostCodeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "posts",
        abstract: "Recall@10 of the compact post codes against an exact float32 scan, on vectors from .npy files.",
        discussion:
            "For a real corpus: the fortune texts embedded by all-MiniLM-L6-v2 (`python3 Benchmarks/peers/corpus.py --out bench-out/peers/fortunes`, which `make bench-peers` runs)."
    )

    @Option(help: "The posts' vectors (.npy, float32, unit rows, one a post).") var base: String = "bench-out/peers/fortunes/base.npy"
    @Option(help: "The queries' vectors (.npy, float32).") var queries: String = "bench-out/peers/fortunes/queries.npy"

    func run() async throws {
        let backend = try BLASBackend.shared()
        let posts = try NPYFile.readMatrix(base)
        let asked = try NPYFile.readMatrix(queries)
        guard posts.columns == asked.columns, posts.rows >= 10 else { throw ValidationError("need ≥ 10 posts and queries of the posts' dimension") }
        let d = posts.columns
        let values = posts.withUnsafeBufferPointer { Array($0) }
        var started = Date()
        let fitted = try PostCodec.fitted(to: values, dimensions: d, backend: backend)
        let fitSeconds = Date().timeIntervalSince(started)
        print("fitted: \(fitted.name) codec on \(posts.rows) posts × \(d) in \(fitSeconds.formatted(.number.precision(.fractionLength(2)))) s")
        for codec in [fitted, .sparse] {
            started = Date()
            let codes = values.withUnsafeBufferPointer { all in
                (0..<posts.rows).map { codec.code(UnsafeBufferPointer(rebasing: all[$0 * d..<($0 + 1) * d]), backend: backend) }
            }
            let bytes = Double(codes.reduce(0) { $0 + $1.count }) / Double(codes.count)
            var found = 0
            for q in 0..<asked.rows {
                let query = asked.row(q)
                let exact = Self.top10((0..<posts.rows).map { row in zip(posts.row(row), query).reduce(Float(0)) { $0 + $1.0 * $1.1 } })
                let coded = codec.query(query, backend: backend)
                let scores = codes.map { code in Self.score(code, coded.vector) + coded.offset }
                found += Set(Self.top10(scores)).intersection(exact).count
            }
            print(
                "\(codec.name) codes: \(bytes.formatted(.number.precision(.fractionLength(0)))) bytes a post, recall@10 against float32 \((Double(found) / Double(10 * asked.rows)).formatted(.number.precision(.fractionLength(3)))) over \(asked.rows) queries (\(Date().timeIntervalSince(started).formatted(.number.precision(.fractionLength(1)))) s)"
            )
        }
    }

    private static func top10(_ scores: [Float]) -> [Int] {
        Array(scores.indices.sorted { (scores[$0], $1) > (scores[$1], $0) }.prefix(10))
    }

    /// A stored code's dot product with what the codec scores it against.
    private static func score(_ bytes: [UInt8], _ vector: [Float]) -> Float {
        if let code = try? ProjectedCode(bytes: bytes) {
            return zip(code.values, vector).reduce(Float(0)) { $0 + Float($1.0) * $1.1 } * code.scale
        }
        guard let code = try? SparseCode(bytes: bytes) else { return -.infinity }
        return vector.withUnsafeBufferPointer { code.dot($0) }
    }
}

extension PostCodec {
    /// "projected" or "sparse".
    fileprivate var name: String {
        if case .projected(let axes) = self { return "projected (\(axes.components.rows) axes)" }
        return "sparse"
    }
}
