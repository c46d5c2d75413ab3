internal import Foundation
public import Logging

/// Embeddings from an OpenAI-compatible API: `POST {baseURL}/v1/embeddings`.
///
/// Documents are sent as `text`, in batches bounded by count and by approximate
/// tokens (UTF-8 bytes / 4), with at most `concurrency` requests in flight. A
/// document longer than `maximumTokensPerInput` is cut to that many approximate
/// tokens. 429 and 5xx answers, timeouts and refused connections are retried with
/// exponential backoff and full jitter, waiting at least what `Retry-After` asks;
/// other 4xx answers fail at once with the provider's message. Every vector is
/// checked (dimension, finite, non-zero) and normalised.
public struct OpenAIEmbedder: Embedder {
    /// Where and how to call the provider.
    public struct Configuration: Sendable {
        /// The API's base URL, without `/v1`. Default `https://api.openai.com`.
        public var baseURL: String
        /// The bearer key (from `OPENAI_API_KEY`; the CLI reads it).
        public var apiKey: String
        /// The model. Default `text-embedding-3-small`.
        public var model: String
        /// The vectors' length; sent as `dimensions` when it differs from `nativeDimensions`. Default 1536.
        public var dimensions: Int
        /// The model's own length. Default 1536 (text-embedding-3-small).
        public var nativeDimensions: Int
        /// Inputs per request. Default 256.
        public var maximumInputsPerRequest: Int
        /// Approximate tokens per request. Default 100,000.
        public var maximumTokensPerRequest: Int
        /// Approximate tokens per input; longer documents are cut. Default 8,000.
        public var maximumTokensPerInput: Int
        /// Requests in flight at once. Default 4.
        public var concurrency: Int
        /// Seconds before a request is abandoned (and retried). Default 60.
        public var timeout: Double
        /// Retries after the first attempt. Default 5.
        public var maximumRetries: Int
        /// The first backoff, doubled per retry, in seconds. Default 0.5.
        public var initialBackoff: Double
        /// The longest backoff, in seconds. Default 30.
        public var maximumBackoff: Double
        /// The longest wait a `Retry-After` may impose, in seconds; a server asking for more is
        /// waited this long. Default 60.
        public var maximumRetryAfter: Double

        /// A configuration with the defaults above.
        public init(
            baseURL: String = "https://api.openai.com", apiKey: String, model: String = "text-embedding-3-small",
            dimensions: Int = 1536, nativeDimensions: Int = 1536, maximumInputsPerRequest: Int = 256,
            maximumTokensPerRequest: Int = 100_000, maximumTokensPerInput: Int = 8_000, concurrency: Int = 4,
            timeout: Double = 60, maximumRetries: Int = 5, initialBackoff: Double = 0.5, maximumBackoff: Double = 30,
            maximumRetryAfter: Double = 60
        ) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.model = model
            self.dimensions = dimensions
            self.nativeDimensions = nativeDimensions
            self.maximumInputsPerRequest = maximumInputsPerRequest
            self.maximumTokensPerRequest = maximumTokensPerRequest
            self.maximumTokensPerInput = maximumTokensPerInput
            self.concurrency = concurrency
            self.timeout = timeout
            self.maximumRetries = maximumRetries
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.maximumRetryAfter = maximumRetryAfter
        }
    }

    /// The settings this embedder uses.
    public let configuration: Configuration
    /// The retries of the configuration, as every provider call makes them.
    var retryPolicy: RetryPolicy {
        RetryPolicy(
            maximumRetries: configuration.maximumRetries, initialBackoff: configuration.initialBackoff,
            maximumBackoff: configuration.maximumBackoff, maximumRetryAfter: configuration.maximumRetryAfter)
    }
    /// Where retries and waits are reported.
    let logger: Logger

    /// An embedder; throws `.invalidConfiguration` for a missing key or impossible limits.
    /// Retries and waits are reported to `logger` (by default nowhere).
    public init(configuration: Configuration, logger: Logger = Logger(label: "onering.embedding", factory: { _ in SwiftLogNoOpLogHandler() }))
        throws(EmbeddingError)
    {
        self.logger = logger
        guard !configuration.apiKey.isEmpty else {
            throw EmbeddingError(.invalidConfiguration, "the OpenAI provider needs an API key: set OPENAI_API_KEY")
        }
        guard configuration.dimensions > 0, configuration.maximumInputsPerRequest > 0, configuration.maximumTokensPerInput > 0,
            configuration.maximumTokensPerRequest >= configuration.maximumTokensPerInput, configuration.concurrency > 0,
            configuration.timeout > 0, configuration.maximumRetries >= 0
        else {
            throw EmbeddingError(.invalidConfiguration, "OpenAI embedder limits must be positive, with tokens per request ≥ tokens per input")
        }
        guard URL(string: configuration.baseURL)?.scheme?.hasPrefix("http") == true else {
            throw EmbeddingError(.invalidConfiguration, "not an http(s) base URL: \(configuration.baseURL)")
        }
        self.configuration = configuration
    }

    public var dimensions: Int { configuration.dimensions }

    public var modelID: String {
        configuration.dimensions == configuration.nativeDimensions ? configuration.model : "\(configuration.model)@\(configuration.dimensions)"
    }

    public func embed(_ documents: [ProfileDocument]) async throws(EmbeddingError) -> [Float] {
        let inputs = documents.map { Self.truncated($0.text, tokens: configuration.maximumTokensPerInput) }
        let batches = batches(of: inputs)
        var vectors = [Float](repeating: 0, count: documents.count * dimensions)
        let outcome = await withTaskGroup(of: (Range<Int>, Result<[Float], EmbeddingError>).self) { group in
            var next = 0
            func addNext() {
                let range = batches[next]
                next += 1
                group.addTask {
                    do throws(EmbeddingError) {
                        return (range, .success(try await request(Array(inputs[range]))))
                    } catch {
                        return (range, .failure(error))
                    }
                }
            }
            for _ in 0..<min(configuration.concurrency, batches.count) { addNext() }
            while let (range, result) = await group.next() {
                switch result {
                case .success(let batch):
                    vectors.replaceSubrange(range.lowerBound * dimensions..<range.upperBound * dimensions, with: batch)
                    if next < batches.count { addNext() }
                case .failure(let error):
                    group.cancelAll()
                    return Result<Void, EmbeddingError>.failure(error)
                }
            }
            return .success(())
        }
        try outcome.get()
        return vectors
    }

    /// Consecutive ranges of inputs within the count and approximate-token limits.
    func batches(of inputs: [String]) -> [Range<Int>] {
        var batches: [Range<Int>] = []
        var start = 0
        var tokens = 0
        for (index, input) in inputs.enumerated() {
            let cost = Self.approximateTokens(input)
            if index > start && (index - start == configuration.maximumInputsPerRequest || tokens + cost > configuration.maximumTokensPerRequest) {
                batches.append(start..<index)
                start = index
                tokens = 0
            }
            tokens += cost
        }
        if start < inputs.count { batches.append(start..<inputs.count) }
        return batches
    }

    static func approximateTokens(_ text: String) -> Int { max(1, (text.utf8.count + 3) / 4) }

    /// `text` cut to about `tokens` tokens, on a character boundary.
    static func truncated(_ text: String, tokens: Int) -> String {
        guard text.utf8.count > tokens * 4 else { return text }
        var end = text.utf8.index(text.utf8.startIndex, offsetBy: tokens * 4)
        while !text.unicodeScalars.indices.contains(end) && end > text.startIndex { end = text.utf8.index(before: end) }
        return String(text[..<end])
    }

    // MARK: One request

    private struct RequestBody: Encodable {
        var model: String
        var input: [String]
        var encoding_format = "float"
        var dimensions: Int?
    }

    private struct ResponseBody: Decodable {
        struct Item: Decodable {
            var index: Int
            // Doubles, so a value beyond Float's range is reported, not rounded to infinity.
            var embedding: [Double]
        }
        var data: [Item]
    }

    private struct ErrorBody: Decodable {
        struct Detail: Decodable { var message: String }
        var error: Detail
    }

    /// One batch, with retries; returns its vectors row-major.
    private func request(_ inputs: [String]) async throws(EmbeddingError) -> [Float] {
        let body = RequestBody(
            model: configuration.model, input: inputs,
            dimensions: configuration.dimensions == configuration.nativeDimensions ? nil : configuration.dimensions
        )
        let encoded: [UInt8]
        do { encoded = Array(try JSONEncoder().encode(body)) } catch {
            throw EmbeddingError(.invalidConfiguration, "cannot encode the request: \(error)")
        }
        let url = configuration.baseURL.trimmingSuffix("/") + "/v1/embeddings"
        let headers = ["Content-Type: application/json", "Authorization: Bearer \(configuration.apiKey)", "Expect:"]
        return try await retryPolicy.run(
            "embedding", logger: logger, message: \.message, cancelled: { EmbeddingError(.cancelled, "embedding cancelled") },
            gaveUp: { EmbeddingError($0.code, "\($0.message) (gave up after \($1) attempts)", status: $0.status) }
        ) { (_) throws(EmbeddingError) -> RetryPolicy.Attempt<[Float], EmbeddingError> in
            do throws(EmbeddingError) {
                let response = try await CurlHTTPClient.post(url: url, headers: headers, body: encoded, timeout: configuration.timeout)
                if response.status == 200 { return .success(try decode(response.body, count: inputs.count)) }
                let error = EmbeddingError(.provider, "\(url) answered \(response.status): \(Self.providerMessage(response.body))", status: response.status)
                guard response.status == 429 || response.status >= 500 else { throw error }
                return .retry(error, retryAfter: response.headers["retry-after"].flatMap(Double.init) ?? 0)
            } catch {
                guard error.code == .transport else { throw error }
                return .retry(error, retryAfter: 0)
            }
        }
    }

    private func decode(_ body: [UInt8], count: Int) throws(EmbeddingError) -> [Float] {
        let response: ResponseBody
        let decoder = JSONDecoder()
        // JSON5 reads NaN and Infinity, which some servers send, so they can be named below.
        decoder.allowsJSON5 = true
        do { response = try decoder.decode(ResponseBody.self, from: Data(body)) } catch {
            throw EmbeddingError(.invalidResponse, "the embeddings response is not the API's JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        guard response.data.count == count, Set(response.data.map(\.index)) == Set(0..<count) else {
            throw EmbeddingError(.invalidResponse, "\(response.data.count) embeddings with indices that do not match \(count) inputs")
        }
        var vectors = [Float](repeating: 0, count: count * dimensions)
        for item in response.data {
            guard item.embedding.count == dimensions else {
                throw EmbeddingError(.invalidVector, "the provider returned \(item.embedding.count)-dimensional vectors; \(dimensions) were asked for")
            }
            if let bad = item.embedding.firstIndex(where: { !$0.isFinite || abs($0) > Double(Float.greatestFiniteMagnitude) }) {
                throw EmbeddingError(
                    .invalidVector, "the provider returned \(item.embedding[bad]) at component \(bad) of the vector for input \(item.index): not a finite float"
                )
            }
            // In double, scaled by the largest component first: a finite vector near 1e30 does not overflow.
            let largest = item.embedding.map(abs).max() ?? 0
            guard largest > 0 else {
                throw EmbeddingError(.invalidVector, "the provider returned a zero vector for input \(item.index)")
            }
            let norm = largest * item.embedding.reduce(0) { $0 + ($1 / largest) * ($1 / largest) }.squareRoot()
            for (offset, value) in item.embedding.enumerated() { vectors[item.index * dimensions + offset] = Float(value / norm) }
        }
        return vectors
    }

    /// `error.message` of an OpenAI error body, or the start of whatever came back.
    private static func providerMessage(_ body: [UInt8]) -> String {
        if let error = try? JSONDecoder().decode(ErrorBody.self, from: Data(body)) { return error.error.message }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.isEmpty ? "(empty body)" : text
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
