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
        // Found before any work, so a missing converter costs nothing but this message.
        let converter = try png.map { _ in try Self.findConverter() }
        let profileStore = try await store.openStore()
        let map = try await CohortMap.build(store: profileStore, parameters: .init(sampleSize: sample))
        try map.svg().write(toFile: svg, atomically: true, encoding: .utf8)
        print("map: \(svg)")
        guard let png, let converter else { return }
        let process = Process()
        process.executableURL = converter
        process.arguments = ["--format", "png", "--output", png, svg]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CommandFailure("rsvg-convert failed (exit \(process.terminationStatus)) converting \(svg)") }
        print("map: \(png)")
    }

    /// rsvg-convert on the PATH.
    private static func findConverter() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("rsvg-convert")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw CommandFailure("--png needs rsvg-convert, which is not installed: apt-get install librsvg2-bin (or leave out --png; the SVG needs nothing)")
    }
}
