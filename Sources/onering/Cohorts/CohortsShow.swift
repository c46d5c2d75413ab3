import ArgumentParser
import Foundation
import Personalization
import ProfileStore

/// `onering cohorts show ID`: one cohort of the active run with its traits.
struct CohortsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one cohort of the active run: terms and traits (JSON).")

    @OptionGroup var store: StoreOptions
    @Argument(help: "The cohort's id.") var cohort: Int

    func run() async throws {
        let profileStore = try await store.openStore()
        guard let runID = try await profileStore.activeCohortRunID() else {
            throw ValidationError("there is no cohort run yet: run `onering cohorts rebuild`")
        }
        let cohorts = try await profileStore.cohorts(runID: runID)
        guard let record = cohorts.first(where: { $0.cohort == cohort }) else {
            throw ValidationError("run \(runID) has cohorts 0..<\(cohorts.count); there is no cohort \(cohort)")
        }
        let value = try Cohort(record: record)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
