import ArgumentParser
import Embedding
import Foundation
import Personalization
import SampleData
import VectorMath

/// `onering bench strategy`: the strategy estimators against the effects planted in generated creators.
struct StrategyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strategy",
        abstract: "Strategy signals against planted truth: best hours, format uplifts, held-out engagement ranking."
    )

    @Option(help: "Generated creators (the committed sample: 5000, seed 42).") var creators: Int = 5_000
    @Option(help: "Seed of the generated creators.") var seed: UInt64 = 42
    @Option(name: .short, help: "Cohorts for the k-means check (spherical k-means on the creators' hashing embeddings; 0: skip).") var k: Int = 20
    @Option(help: "Write an SVG of this niche's planted and estimated week (e.g. fitness).") var plotNiche: String?
    @Option(help: "Where the SVG goes.") var plotFile: String = "docs/strategy-hours.svg"

    func validate() throws {
        guard creators >= 100 else { throw ValidationError("--creators must be at least 100") }
        guard (0...creators / 10).contains(k) else { throw ValidationError("-k must be from 0 (skip) to a tenth of --creators, got \(k)") }
        if let plotNiche, !Niche.all.contains(where: { $0.id == plotNiche }) {
            throw ValidationError("--plot-niche must be one of \(Niche.all.map(\.id).joined(separator: ", ")), got \"\(plotNiche)\"")
        }
    }

    func run() async throws {
        let generator = CreatorGenerator(configuration: .init(creators: creators, seed: seed))
        let generated = generator.generate()
        let started = now()
        let check = StrategyTruthCheck(creators: generated, generator: generator)
        let seconds = now() - started
        print("niche               posts  top-5 overlap (model / median)  planted >10%: right sign (confidently wrong)  ρ(effects)")
        for report in check.niches {
            let name = report.niche.padding(toLength: 18, withPad: " ", startingAt: 0)
            print(
                "\(name) \(String(repeating: " ", count: max(0, 6 - String(report.posts).count)) + String(report.posts))  \(report.overlap) / \(report.medianOverlap)"
                    + "                           \(report.rightSign) of \(report.plantedEffects) (\(report.confidentlyWrong))"
                    + "                           \(report.effectRankCorrelation.map { $0.fixed(2) } ?? "–")")
        }
        let overlap = check.meanOverlap
        let planted = check.niches.reduce(0) { $0 + $1.plantedEffects }
        let right = check.niches.reduce(0) { $0 + $1.rightSign }
        let wrong = check.niches.reduce(0) { $0 + $1.confidentlyWrong }
        print("top-5 hour overlap with the planted top five: model \(overlap.model.fixed(2)) of 5, per-hour median \(overlap.median.fixed(2)) (target ≥ 3)")
        print("planted format effects over 10 %: \(right) of \(planted) with the right sign, \(wrong) confidently wrong (target: all right)")
        print(
            "held-out (last \(check.heldOutDays) days, \(check.heldOutPosts) posts): Spearman model \(check.heldOutSpearman.fixed(3)), "
                + "creator median \(check.baselineSpearman.fixed(3)), +\((check.heldOutSpearman - check.baselineSpearman).fixed(3)) (target ≥ 0.3 and ≥ +0.15)")
        print("fitted \(check.niches.count) niches twice in \(seconds.fixed(2)) s")
        if k > 0 { try await cohortCheck(generated, generator: generator) }
        if let plotNiche, let report = check.niches.first(where: { $0.niche == plotNiche }),
            let niche = Niche.all.first(where: { $0.id == plotNiche })
        {
            let svg = StrategyPlot.svg(
                niche: plotNiche, planted: AudienceActivity.of(niche).curve.map(exp), strategy: report.strategy, trueTop: report.trueTop,
                recommended: report.recommended)
            try svg.write(toFile: plotFile, atomically: true, encoding: .utf8)
            let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            func name(_ slot: Int) -> String { "\(days[slot / 24]) \(slot % 24):00" }
            print(
                "\(plotNiche): recommended \(report.recommended.map(name).joined(separator: ", ")); planted top five \(report.trueTop.map(name).joined(separator: ", ")) (UTC)"
            )
            print("wrote \(plotFile)")
        }
    }

    /// The same hours check on k-means cohorts, as a rebuild makes them, against each cohort's mix of audiences.
    private func cohortCheck(_ generated: [CreatorGenerator.Creator], generator: CreatorGenerator) async throws {
        let embedder = try HashingEmbedder()
        let documents = generated.map { EmbeddingBackfill.document(user: $0.user, posts: $0.posts, postLimit: ProfileDocument.defaultPostLimit) }
        let vectors = try await embedder.embed(documents)
        let result = try KMeans.run(
            Matrix<Float>(columns: embedder.dimensions, values: vectors), parameters: .init(k: k, seed: 1), backend: try BLASBackend.shared())
        let cohortOf = Dictionary(uniqueKeysWithValues: generated.enumerated().map { ($1.user.id, Int(result.assignments[$0])) })
        let reports = StrategyTruthCheck.cohorts(generated, cohortOf: cohortOf, generator: generator)
        print(
            "k-means cohorts (k = \(k), hashing embeddings): cohort, creators, main niche (share), top-5 overlap with the mix of its creators' planted curves (model / median)"
        )
        for report in reports {
            print(
                "  \(report.cohort): \(report.creators) creators, \(report.mainNiche) (\((100 * report.mainNicheShare).fixed(0)) %), "
                    + "\(report.overlap) / \(report.medianOverlap)")
        }
        let n = Double(max(reports.count, 1))
        print(
            "k-means cohorts: mean top-5 hour overlap model \((Double(reports.map(\.overlap).reduce(0, +)) / n).fixed(2)) of 5, "
                + "per-hour median \((Double(reports.map(\.medianOverlap).reduce(0, +)) / n).fixed(2))")
    }
}
