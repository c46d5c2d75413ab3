import ArgumentParser
import Foundation
import Personalization

/// `onering cohorts map`: the creators in 2-D, coloured by cohort.
struct CohortsMap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Draw the active run's cohorts: a PCA projection of the creators, coloured by cohort, labelled.",
        discussion: "--png converts the SVG with rsvg-convert (Debian: librsvg2-bin)."
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "Write the map as SVG here.") var svg: String
    @Option(help: "Also write it as PNG here.") var png: String?
    @Option(help: "Creators drawn at most (a seeded sample).") var sample: Int = 6_000

    func validate() throws {
        guard sample >= 2 else { throw ValidationError("--sample must be at least 2") }
    }

    func run() async throws {
        let profileStore = try await store.openStore()
        let map = try await CohortMap.build(store: profileStore, parameters: .init(sampleSize: sample))
        try map.svg().write(toFile: svg, atomically: true, encoding: .utf8)
        print("map: \(svg)")
        guard let png else { return }
        let converter = Process()
        converter.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        converter.arguments = ["rsvg-convert", "--format", "png", "--output", png, svg]
        try converter.run()
        converter.waitUntilExit()
        guard converter.terminationStatus == 0 else {
            throw ValidationError("rsvg-convert failed (exit \(converter.terminationStatus)); install it with `apt-get install librsvg2-bin`")
        }
        print("map: \(png)")
    }
}
