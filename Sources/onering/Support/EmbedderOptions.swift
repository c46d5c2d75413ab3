import ArgumentParser
import Embedding
import Foundation

/// Which embedder a command uses: the offline hashing embedder (default) or an OpenAI-compatible API.
struct EmbedderOptions: ParsableArguments {
    enum Provider: String, ExpressibleByArgument, CaseIterable {
        case hashing, openai
    }

    @Option(help: "The embedder: hashing (offline, the default) or openai (OPENAI_API_KEY; any compatible API).")
    var provider: Provider = .hashing
    @Option(help: "The OpenAI-compatible API's base URL (default: OPENAI_BASE_URL, else https://api.openai.com).")
    var baseURL: String?
    @Option(help: "The OpenAI embedding model.") var model: String = "text-embedding-3-small"

    /// The embedder, making `dimensions`-dimensional vectors.
    func embedder(dimensions: Int) throws -> any Embedder {
        switch provider {
        case .hashing:
            return try HashingEmbedder(configuration: .init(dimensions: dimensions))
        case .openai:
            let environment = ProcessInfo.processInfo.environment
            return try OpenAIEmbedder(
                configuration: .init(
                    baseURL: baseURL ?? environment["OPENAI_BASE_URL"] ?? "https://api.openai.com",
                    apiKey: environment["OPENAI_API_KEY"] ?? "", model: model, dimensions: dimensions,
                    nativeDimensions: model.hasSuffix("-3-large") ? 3072 : 1536
                ), logger: commandLogger("onering.embedding"))
        }
    }
}
