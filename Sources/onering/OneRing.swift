import ArgumentParser
import CStandardIO
import Foundation
import VectorMath

/// The `onering` command line: thin wrappers that parse, configure and call the modules.
@main
struct OneRing: AsyncParsableCommand {
    /// The release, printed by `onering --version`.
    static let version = "0.5.0"

    static let configuration = CommandConfiguration(
        commandName: "onering",
        abstract: "OneRing personalization engine: creator embeddings, similarity search, cohorts.",
        version: version,
        subcommands: [
            Doctor.self, Database.self, DataCommand.self, Import.self, Embed.self, Search.self, Cohorts.self, ContextCommand.self,
            Generate.self, Score.self, Jobs.self, Serve.self, Demo.self, Token.self, Bench.self,
        ]
    )

    static func main() async {
        // Line-buffered even into a file or a pipe: progress reaches a log as it happens.
        onering_line_buffer_stdout()
        // OpenBLAS reads its kernel choice from the environment when it is loaded, and the
        // backend sets it for that moment: load it now, before libpq or libcurl start threads
        // that read the environment. A failure here is reported by the command that needs BLAS.
        if let backend = try? BLASBackend.shared() {
            commandLogger("onering.blas").info("BLAS: \(backend.library), kernel \(backend.kernel) (\(backend.kernelSource))")
        }
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
