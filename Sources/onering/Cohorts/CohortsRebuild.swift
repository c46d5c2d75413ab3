import ArgumentParser
import Foundation
import Personalization

/// `onering cohorts rebuild`: the batch job.
struct CohortsRebuild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Cluster every creator into cohorts (spherical k-means), label and describe them, and switch to the new run.",
        discussion: """
            The run is written in one transaction and made active atomically: an interrupted rebuild leaves the previous \
            run active. Warm-started from the active run when k is unchanged; cohort ids stay stable. --k auto picks k by \
            the mean silhouette of k-means on a sample and prints the scores. One rebuild at a time per store.
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(name: .short, help: "Cohorts: a number, or auto.") var k: String = "64"
    @Option(help: "Seed of every random choice.") var seed: UInt64 = 1
    @Option(help: "k-means restarts (without a warm start).") var restarts: Int = 1
    @Option(help: "Most Lloyd iterations.") var iterations: Int = 25
    @Flag(help: "Seed afresh instead of starting from the active run's centroids.") var noWarmStart = false

    var kChoice: CohortRebuild.KChoice? {
        k == "auto" ? .auto : Int(k).flatMap { $0 > 0 ? .fixed($0) : nil }
    }

    func validate() throws {
        guard kChoice != nil else { throw ValidationError("-k must be a positive integer or auto, not \(k)") }
        guard restarts > 0 else { throw ValidationError("--restarts must be positive") }
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
    }

    func run() async throws {
        let profileStore = try await store.openStore()
        let terminal = isatty(STDOUT_FILENO) == 1
        let started = now()
        let rebuild = CohortRebuild(
            store: profileStore,
            parameters: .init(
                k: kChoice!, seed: seed, restarts: restarts, maxIterations: iterations, warmStart: !noWarmStart
            ))
        let report = try await rebuild.run { stage in
            let line = "rebuild: \(stage.rawValue) … (\((now() - started).fixed(1)) s)"
            if terminal { print("\r\(line)\u{1B}[K", terminator: "") } else { print(line) }
            fflush(nil)
        }
        if terminal { print("\r\u{1B}[K", terminator: "") }
        if !report.kScores.isEmpty {
            print("k auto: silhouette on a sample, best first: " + report.kScores.map { "k=\($0.k) \($0.silhouette.fixed(4))" }.joined(separator: ", "))
        }
        print(
            "rebuild: run \(report.runID) active, k = \(report.k), \(report.creators) creators, objective \(report.objective.fixed(4)) (mean cosine to centroid), imbalance \(report.imbalance.fixed(2)), churn \(report.churn.map { ($0 * 100).fixed(1) + "%" } ?? "n/a (first run)"), \(report.iterations) iterations\(report.converged ? "" : " (limit)")\(report.warmStarted ? ", warm start" : "")"
        )
        let stages = ["read", "chooseK", "cluster", "describe", "write"].compactMap { key in report.seconds[key].map { "\(key) \($0.fixed(2))" } }
        print("timings: \(stages.joined(separator: ", ")), total \((report.seconds["total"] ?? 0).fixed(2)) s")
        for cohort in report.cohorts.sorted(by: { $0.size > $1.size }) {
            print(
                "  \(String(cohort.id).padding(toLength: 4, withPad: " ", startingAt: 0)) \(String(cohort.size).padding(toLength: 7, withPad: " ", startingAt: 0)) \(cohort.label)"
            )
        }
    }
}
