internal import Foundation
public import ProfileStore
internal import VectorMath

/// The cohort map: cohorts placed by a PCA of their centroids (classical MDS of the
/// centroids: near cohorts are near on the map), each creator (a seeded sample when there
/// are many) drawn around its cohort's place by its own offset from the centroid along the
/// same two axes, scaled so clouds do not swallow each other; coloured by cohort, labelled,
/// with a legend.
///
/// A plain PCA of the creators is dominated by the largest cohorts and piles the others into
/// one corner; placing cohorts first keeps every label readable.
public struct CohortMap: Sendable {
    /// What to draw.
    public struct Parameters: Sendable {
        /// Creators drawn at most (a seeded sample). Default 6,000.
        public var sampleSize: Int
        /// Seed of the sample. Default 1.
        public var seed: UInt64
        /// Canvas size in pixels. Default 1,500 × 1,000.
        public var width: Int
        public var height: Int

        /// Parameters with the defaults above.
        public init(sampleSize: Int = 6_000, seed: UInt64 = 1, width: Int = 1_500, height: Int = 1_000) {
            self.sampleSize = sampleSize
            self.seed = seed
            self.width = width
            self.height = height
        }
    }

    /// One drawn creator.
    struct Point {
        var x: Double
        var y: Double
        var cohort: Int
    }

    let run: CohortRunRecord
    let cohorts: [CohortRecord]
    let points: [Point]
    let creators: Int
    let explained: (Double, Double)
    let parameters: Parameters

    /// Reads the active run and the creators' embeddings and projects them.
    ///
    /// - Throws: `.notReady` without an active run; `.store`; `.computation` when PCA fails.
    public static func build(store: ProfileStore, parameters: Parameters = Parameters()) async throws(PersonalizationError) -> CohortMap {
        let run: CohortRunRecord
        let cohorts: [CohortRecord]
        let members: CohortMembers
        let embeddings: EmbeddingChanges
        do {
            guard let record = try await store.activeCohortRun() else {
                throw PersonalizationError(.notReady, "there is no cohort run yet: run `onering cohorts rebuild`")
            }
            run = record
            cohorts = try await store.cohorts(runID: record.id)
            members = try await store.cohortMembers(runID: record.id)
            embeddings = try await store.embeddings()
        } catch let error as PersonalizationError {
            throw error
        } catch {
            throw .store(error as! ProfileStoreError)
        }
        let cohortOf = members.cohortByUser()
        // Members of the run only, in a seeded sample.
        let rows = embeddings.userIDs.indices.filter { cohortOf[embeddings.userIDs[$0]] != nil }
        var random = SplitMix64(seed: parameters.seed)
        var order = rows
        let count = min(parameters.sampleSize, order.count)
        for i in 0..<count { order.swapAt(i, i + Int(random.next() % UInt64(order.count - i))) }
        let chosen = order.prefix(count).sorted()
        guard chosen.count >= 2 else { throw PersonalizationError(.notReady, "the map needs at least two creators in the run") }
        var sample = Matrix<Float>(columns: embeddings.vectors.columns, capacity: chosen.count)
        for row in chosen { sample.append(row: embeddings.vectors.row(row)) }
        let backend: BLASBackend
        do { backend = try BLASBackend.shared() } catch { throw .computation(error) }
        let dimensions = embeddings.vectors.columns
        let centroids = Matrix(columns: dimensions, values: cohorts.flatMap(\.centroid))
        let cohortOfRow = chosen.map { cohortOf[embeddings.userIDs[$0]]! }
        let pca: PCA
        do {
            // Two or fewer centroids span no plane: fall back to the creators' own axes.
            pca = try PCA.fit(
                centroids.rows >= 3 ? centroids : sample, parameters: .init(components: 2, sampleSize: nil, seed: parameters.seed), backend: backend)
        } catch {
            throw .computation(error)
        }
        let centres = pca.project(centroids, backend: backend)
        let projected = pca.project(sample, backend: backend)
        var offsets = chosen.indices.map { i in
            (Double(projected[i, 0] - centres[cohortOfRow[i], 0]), Double(projected[i, 1] - centres[cohortOfRow[i], 1]))
        }
        let k = centroids.rows
        var places = (0..<k).map { (Double(centres[$0, 0]), Double(centres[$0, 1])) }
        if k >= 3 {
            // Into the unit square, then nudged apart until no two cohorts sit closer than `gap`.
            places = Self.normalized(places)
            let gap = min(0.22, 0.7 / Double(k).squareRoot())
            for _ in 0..<300 {
                var moved = false
                for a in 0..<k {
                    for b in (a + 1)..<k {
                        let dx = places[b].0 - places[a].0, dy = places[b].1 - places[a].1
                        let distance = max(hypot(dx, dy), 1e-6)
                        guard distance < gap else { continue }
                        let push = (gap - distance) / 2 / distance
                        places[a] = (places[a].0 - dx * push, places[a].1 - dy * push)
                        places[b] = (places[b].0 + dx * push, places[b].1 + dy * push)
                        moved = true
                    }
                }
                places = places.map { (min(max($0.0, 0), 1), min(max($0.1, 0), 1)) }
                if !moved { break }
            }
            // A typical cohort's 90th-percentile radius becomes 35% of the gap.
            var radii: [Double] = []
            for c in 0..<k {
                let distances = offsets.indices.filter { cohortOfRow[$0] == c }.map { hypot(offsets[$0].0, offsets[$0].1) }.sorted()
                if !distances.isEmpty { radii.append(distances[distances.count * 9 / 10]) }
            }
            let scale = 0.35 * gap / max(Self.median(radii), 1e-9)
            offsets = offsets.map { ($0.0 * scale, $0.1 * scale) }
        } else {
            let all = Self.normalized(chosen.indices.map { (Double(projected[$0, 0]), Double(projected[$0, 1])) })
            offsets = all
            places = Array(repeating: (0, 0), count: k)
        }
        let points = chosen.indices.map { i in
            Point(x: places[cohortOfRow[i]].0 + offsets[i].0, y: places[cohortOfRow[i]].1 + offsets[i].1, cohort: cohortOfRow[i])
        }
        return CohortMap(
            run: run, cohorts: cohorts, points: points, creators: members.userIDs.count,
            explained: (Double(pca.explainedVarianceRatio[0]), Double(pca.explainedVarianceRatio[1])), parameters: parameters)
    }

    /// Points scaled into the unit square, each axis by its own range.
    private static func normalized(_ points: [(Double, Double)]) -> [(Double, Double)] {
        let xs = points.map(\.0), ys = points.map(\.1)
        let (x0, x1, y0, y1) = (xs.min() ?? 0, xs.max() ?? 1, ys.min() ?? 0, ys.max() ?? 1)
        return points.map { (($0.0 - x0) / max(x1 - x0, 1e-12), ($0.1 - y0) / max(y1 - y0, 1e-12)) }
    }

    private static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        return values.sorted()[values.count / 2]
    }

    /// A distinct colour per cohort: the first 64 chosen greedily to be as far apart as possible
    /// in CIELAB (each new colour the farthest from all before it, among saturated sRGB colours
    /// of lightness 30–78, visible on white), so any two of the first 16 differ by ΔE ≥ 41 (the
    /// earlier palette had pairs at 28–30, near-identical on the map); past 64, golden-angle hues.
    static func color(_ cohort: Int) -> String {
        if cohort >= 0, cohort < palette.count { return palette[cohort] }
        let hue = (Double(cohort) * 137.508).truncatingRemainder(dividingBy: 360)
        return "hsl(\(Int(hue)), 70%, \(cohort.isMultiple(of: 2) ? 38 : 55)%)"
    }

    private static let palette = [
        "#e6194b", "#00dd00", "#0000ff", "#00ccff", "#555500", "#663388", "#ff9900", "#ff11ee", "#00bb88", "#eeaacc",
        "#aabb00", "#773333", "#0066ff", "#ddbb88", "#dd3399", "#118800", "#ff4400", "#8899ee", "#7700bb", "#006655",
        "#ff8866", "#ee88ff", "#005588", "#992200", "#88aa55", "#aa7711", "#aa5588", "#ff7799", "#22dd66", "#005511",
        "#11bbbb", "#0055bb", "#bb00ff", "#990044", "#bb7766", "#aa66ff", "#aa22aa", "#77cc22", "#ddbb44", "#774411",
        "#4444ff", "#0088aa", "#888800", "#dd6611", "#776699", "#88ccaa", "#bb4444", "#ddaaff", "#ff55dd", "#998844",
        "#ffaa55", "#8877ee", "#448855", "#00aaff", "#4433aa", "#ff5544", "#ff88cc", "#ee2277", "#881166", "#aa66bb",
        "#77cc66", "#88bbee", "#bb6633", "#0088ff",
    ]

    /// The labels' size in pixels, and the room a label takes: bold Helvetica averages about
    /// 0.6 em a character, so labels placed by this estimate do not run into each other.
    static let labelFontSize = 14.0
    static let labelCharacterWidth = labelFontSize * 0.62
    static let labelHeight = labelFontSize * 1.35

    /// The map as an SVG document.
    public func svg() -> String {
        let legendWidth = 440.0, margin = 40.0, top = 80.0
        let width = Double(parameters.width), height = Double(parameters.height)
        let plotWidth = width - legendWidth - 2 * margin, plotHeight = height - top - margin
        let xs = points.map(\.x), ys = points.map(\.y)
        let (minX, maxX) = (xs.min()!, xs.max()!), (minY, maxY) = (ys.min()!, ys.max()!)
        // 7% padding inside the frame, so edge points and their labels stay in it.
        let pad = 0.07
        func px(_ x: Double) -> Double { margin + (pad + (1 - 2 * pad) * (x - minX) / max(maxX - minX, 1e-9)) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - pad - (1 - 2 * pad) * (y - minY) / max(maxY - minY, 1e-9)) * plotHeight }
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(parameters.width)" height="\(parameters.height)" viewBox="0 0 \(parameters.width) \(parameters.height)" font-family="Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="\(margin)" y="34" font-size="22" font-weight="bold" fill="#222">Creator cohorts · run \(run.id) · \(cohorts.count) cohorts · \(creators) creators</text>
            <text x="\(margin)" y="56" font-size="13" fill="#666">Cohorts placed by a PCA of their centroids (\(String(format: "%.0f", explained.0 * 100))% + \(String(format: "%.0f", explained.1 * 100))% of their variance), nudged apart; \(points.count) creators drawn around their cohort. Labels: its most distinctive terms.</text>
            <rect x="\(margin)" y="\(top)" width="\(plotWidth)" height="\(plotHeight)" fill="#fafafa" stroke="#ddd"/>

            """
        for point in points {
            svg +=
                "<circle cx=\"\(String(format: "%.1f", px(point.x)))\" cy=\"\(String(format: "%.1f", py(point.y)))\" r=\"2.6\" fill=\"\(Self.color(point.cohort))\" fill-opacity=\"0.6\"/>\n"
        }
        // Labels at each cohort's median point, largest cohorts first, moved off each other (up, down,
        // then sideways); a label with no free place is left to the legend rather than drawn over another.
        var placed: [(x: Double, y: Double, w: Double)] = []
        let bySize = cohorts.sorted { ($0.size, $1.cohort) > ($1.size, $0.cohort) }
        for cohort in bySize {
            let mine = points.filter { $0.cohort == cohort.cohort }
            guard !mine.isEmpty else { continue }
            let text = "\(cohort.cohort) · \(cohort.label)"
            let w = Double(text.count) * Self.labelCharacterWidth + 10
            let anchorX = px(mine.map(\.x).sorted()[mine.count / 2])
            let anchorY = py(mine.map(\.y).sorted()[mine.count / 2])
            var spot: (x: Double, y: Double)?
            search: for shift in [0.0, -0.6, 0.6] {
                let x = min(max(anchorX + shift * w, margin + w / 2), margin + plotWidth - w / 2)
                for step in 0..<24 {
                    let offset = Double((step + 1) / 2) * Self.labelHeight * (step.isMultiple(of: 2) ? 1 : -1)
                    let y = min(max(anchorY + offset, top + Self.labelHeight), top + plotHeight - 4)
                    if !placed.contains(where: { abs($0.y - y) < Self.labelHeight && abs($0.x - x) < ($0.w + w) / 2 + 4 }) {
                        spot = (x, y)
                        break search
                    }
                }
            }
            guard let spot else { continue }
            placed.append((spot.x, spot.y, w))
            if hypot(spot.x - anchorX, spot.y - anchorY) > 8 {
                svg +=
                    "<line x1=\"\(Int(anchorX))\" y1=\"\(Int(anchorY))\" x2=\"\(Int(spot.x))\" y2=\"\(Int(spot.y) - 4)\" stroke=\"#555\" stroke-width=\"0.7\"/>\n"
            }
            svg +=
                "<text x=\"\(Int(spot.x))\" y=\"\(Int(spot.y))\" text-anchor=\"middle\" font-size=\"\(Self.labelFontSize)\" font-weight=\"bold\" fill=\"#111\" stroke=\"#fff\" stroke-width=\"3.5\" paint-order=\"stroke\">\(escape(text))</text>\n"
        }
        // Legend: every cohort, its size and colour.
        let legendX = width - legendWidth + 10
        let rowHeight = min(24.0, (height - top - margin) / Double(max(cohorts.count, 1)))
        svg += "<text x=\"\(Int(legendX))\" y=\"\(Int(top) - 6)\" font-size=\"13\" font-weight=\"bold\" fill=\"#222\">cohort · label (creators)</text>\n"
        for (row, cohort) in cohorts.enumerated() {
            let y = top + Double(row) * rowHeight + rowHeight * 0.7
            svg += "<circle cx=\"\(Int(legendX) + 6)\" cy=\"\(String(format: "%.1f", y - 4))\" r=\"5\" fill=\"\(Self.color(cohort.cohort))\"/>\n"
            svg +=
                "<text x=\"\(Int(legendX) + 18)\" y=\"\(String(format: "%.1f", y))\" font-size=\"\(String(format: "%.1f", min(14, rowHeight * 0.8)))\" fill=\"#222\">\(cohort.cohort) · \(escape(cohort.label)) (\(cohort.size))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }
}
