import ArgumentParser

/// `onering cohorts …`: cluster the creators and look at the result.
struct Cohorts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild, list, show and map the creator cohorts.",
        subcommands: [CohortsRebuild.self, CohortsList.self, CohortsShow.self, CohortsMap.self]
    )
}
