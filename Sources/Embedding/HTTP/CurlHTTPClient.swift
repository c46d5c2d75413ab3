internal import CCurl
internal import Foundation

/// An HTTP response as libcurl received it.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header values by lower-cased name (the last of repeated headers).
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]
}

/// HTTP GET and POST through libcurl, one easy handle per request, each on a thread of its
/// own: libcurl blocks, and must stay off Swift's cooperative threads.
public enum CurlHTTPClient {
    static let initialised: Bool = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK }()

    /// Collects what libcurl hands to its callbacks.
    private final class Collector {
        var body: [UInt8] = []
        var headers: [String: String] = [:]
    }

    /// Posts `body` to `url`; throws `.transport` when no response arrives within `timeout` seconds.
    static func post(url: String, headers: [String], body: [UInt8], timeout: Double) async throws(EmbeddingError) -> HTTPResponse {
        try await send(url: url, headers: headers, body: body, timeout: timeout)
    }

    /// Gets `url`; throws `.transport` when no response arrives within `timeout` seconds.
    public static func get(url: String, headers: [String] = [], timeout: Double) async throws(EmbeddingError) -> HTTPResponse {
        try await send(url: url, headers: headers, body: nil, timeout: timeout)
    }

    /// POSTs `body`, or GETs when it is nil.
    private static func send(url: String, headers: [String], body: [UInt8]?, timeout: Double) async throws(EmbeddingError) -> HTTPResponse {
        try await onTransferThread {
            Result { () throws(EmbeddingError) in try perform(url: url, headers: headers, body: body, timeout: timeout) }
        }.get()
    }

    /// Runs a blocking libcurl transfer on a thread of its own, never on a cooperative thread:
    /// every request of the embedder, the LLM providers and the key set goes through here.
    /// Not a dispatch queue: on Linux its workers are as many as the cores, so two long streams
    /// would hold every worker and every other transfer would wait. The callers bound how many
    /// run at once (the service's generation slots, the embedder's concurrency, one key-set reload).
    static func onTransferThread<Value: Sendable>(_ transfer: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: transfer()) }
        }
    }

    private static func perform(url: String, headers: [String], body: [UInt8]?, timeout: Double) throws(EmbeddingError) -> HTTPResponse {
        guard initialised, let curl = curl_easy_init() else {
            throw EmbeddingError(.transport, "libcurl could not be initialised")
        }
        defer { curl_easy_cleanup(curl) }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for header in headers { list = curl_slist_append(list, header) }
        defer { curl_slist_free_all(list) }
        let collector = Collector()
        let context = Unmanaged.passUnretained(collector).toOpaque()

        onering_curl_set_string(curl, CURLOPT_URL, url)
        if body != nil { onering_curl_set_long(curl, CURLOPT_POST, 1) }
        onering_curl_set_long(curl, CURLOPT_NOSIGNAL, 1)
        onering_curl_set_long(curl, CURLOPT_TIMEOUT_MS, max(1, Int(timeout * 1000)))
        onering_curl_set_long(curl, CURLOPT_CONNECTTIMEOUT_MS, max(1, Int(min(timeout, 10) * 1000)))
        onering_curl_set_pointer(curl, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list))
        onering_curl_set_function(curl, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let collector = Unmanaged<Collector>.fromOpaque(context!).takeUnretainedValue()
            collector.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }
        onering_curl_set_pointer(curl, CURLOPT_WRITEDATA, context)
        onering_curl_set_function(curl, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let collector = Unmanaged<Collector>.fromOpaque(context!).takeUnretainedValue()
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
            if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                collector.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return size * count
        }
        onering_curl_set_pointer(curl, CURLOPT_HEADERDATA, context)

        let code: CURLcode = (body ?? []).withUnsafeBufferPointer { bytes in
            if body != nil {
                onering_curl_set_long(curl, CURLOPT_POSTFIELDSIZE, bytes.count)
                onering_curl_set_pointer(curl, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            }
            return curl_easy_perform(curl)
        }
        guard code == CURLE_OK else {
            throw EmbeddingError(.transport, "\(body == nil ? "GET" : "POST") \(url): \(String(cString: curl_easy_strerror(code)))")
        }
        var status = 0
        onering_curl_response_code(curl, &status)
        return HTTPResponse(status: status, headers: collector.headers, body: collector.body)
    }
}
