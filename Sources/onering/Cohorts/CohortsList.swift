import ArgumentParser
import Foundation
import ProfileStore

/// `onering cohorts list`: the cohorts of the active run.
struct CohortsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the cohorts of the active run (and the recent runs).")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let profileStore = try await store.openStore()
        let runs = try await profileStore.cohortRuns(limit: ProfileStore.keptCohortRuns)
        guard let active = runs.first(where: \.active) else {
            throw ValidationError("there is no cohort run yet: run `onering cohorts rebuild`")
        }
        for run in runs {
            print(
                "run \(run.id)\(run.active ? " (active)" : ""): k = \(run.k), objective \(run.objective.fixed(4)), \(run.iterations) iterations, \(ISO8601DateFormatter().string(from: run.createdAt))"
            )
        }
        print("cohort  creators  label")
        for cohort in try await profileStore.cohorts(runID: active.id) {
            print(
                "\(String(cohort.cohort).padding(toLength: 8, withPad: " ", startingAt: 0))\(String(cohort.size).padding(toLength: 10, withPad: " ", startingAt: 0))\(cohort.label)"
            )
        }
    }
}
