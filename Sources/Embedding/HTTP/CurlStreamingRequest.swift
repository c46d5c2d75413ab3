internal import CCurl
internal import Foundation
internal import Synchronization

/// One streamed HTTP POST through libcurl, on a transfer thread of the HTTP client (libcurl
/// blocks): the body of a 200 answer is handed over chunk by chunk as it arrives; any other
/// answer is collected. ``cancel()`` aborts the transfer at curl's next progress callback
/// (a few times a second).
public final class CurlStreamingRequest: Sendable {
    /// How the transfer ended.
    public struct Outcome: Sendable {
        /// The HTTP status, 0 when none arrived.
        public var status: Int
        /// Header values by lower-cased name.
        public var headers: [String: String]
        /// The body of a non-200 answer.
        public var errorBody: [UInt8]
        /// libcurl's complaint when the transfer failed (nil when it completed).
        public var transportError: String?
    }

    /// A request, not started.
    public init() {}

    private let cancelled = Atomic<Bool>(false)

    /// Aborts the transfer.
    public func cancel() { cancelled.store(true, ordering: .relaxed) }

    /// Whether ``cancel()`` was called.
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// State the callbacks share with the caller.
    private final class Transfer {
        var status = 0
        var headers: [String: String] = [:]
        var errorBody: [UInt8] = []
        let onChunk: (UnsafeRawBufferPointer) -> Bool
        let request: CurlStreamingRequest

        init(request: CurlStreamingRequest, onChunk: @escaping (UnsafeRawBufferPointer) -> Bool) {
            self.request = request
            self.onChunk = onChunk
        }
    }

    /// Posts `body` and returns when the transfer ends, the transfer running on a thread of
    /// its own. `onChunk` gets the body of a 200 answer as it arrives (on that thread) and
    /// returns false to stop. A transfer that receives nothing for `idleTimeout` seconds is abandoned.
    public func perform(
        url: String, headers: [String], body: [UInt8], connectTimeout: Double, idleTimeout: Double,
        onChunk: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool
    ) async -> Outcome {
        await CurlHTTPClient.onTransferThread {
            self.performBlocking(url: url, headers: headers, body: body, connectTimeout: connectTimeout, idleTimeout: idleTimeout, onChunk: onChunk)
        }
    }

    private func performBlocking(
        url: String, headers: [String], body: [UInt8], connectTimeout: Double, idleTimeout: Double,
        onChunk: @escaping (UnsafeRawBufferPointer) -> Bool
    ) -> Outcome {
        guard CurlHTTPClient.initialised, let curl = curl_easy_init() else {
            return Outcome(status: 0, headers: [:], errorBody: [], transportError: "libcurl could not be initialised")
        }
        defer { curl_easy_cleanup(curl) }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for header in headers { list = curl_slist_append(list, header) }
        defer { curl_slist_free_all(list) }
        let transfer = Transfer(request: self, onChunk: onChunk)
        let context = Unmanaged.passUnretained(transfer).toOpaque()

        onering_curl_set_string(curl, CURLOPT_URL, url)
        onering_curl_set_long(curl, CURLOPT_POST, 1)
        onering_curl_set_long(curl, CURLOPT_NOSIGNAL, 1)
        onering_curl_set_long(curl, CURLOPT_CONNECTTIMEOUT_MS, max(1, Int(connectTimeout * 1000)))
        // A stream has no total time limit; it must not go quiet for longer than the idle timeout.
        onering_curl_set_long(curl, CURLOPT_LOW_SPEED_LIMIT, 1)
        onering_curl_set_long(curl, CURLOPT_LOW_SPEED_TIME, max(1, Int(idleTimeout.rounded(.up))))
        onering_curl_set_pointer(curl, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list))
        onering_curl_set_function(curl, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
            if line.hasPrefix("HTTP/") {
                transfer.status = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
                transfer.headers = [:]
            } else if let colon = line.firstIndex(of: ":") {
                transfer.headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return size * count
        }
        onering_curl_set_pointer(curl, CURLOPT_HEADERDATA, context)
        onering_curl_set_function(curl, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
            guard transfer.status == 200 else {
                transfer.errorBody.append(contentsOf: bytes.prefix(65_536 - transfer.errorBody.count))
                return size * count
            }
            return transfer.onChunk(bytes) && !transfer.request.isCancelled ? size * count : 0
        }
        onering_curl_set_pointer(curl, CURLOPT_WRITEDATA, context)
        onering_curl_set_long(curl, CURLOPT_NOPROGRESS, 0)
        onering_curl_set_progress_function(curl) { context, _, _, _, _ in
            Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue().request.isCancelled ? 1 : 0
        }
        onering_curl_set_pointer(curl, CURLOPT_XFERINFODATA, context)

        let code: CURLcode = body.withUnsafeBufferPointer { bytes in
            onering_curl_set_long(curl, CURLOPT_POSTFIELDSIZE, bytes.count)
            onering_curl_set_pointer(curl, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            return curl_easy_perform(curl)
        }
        let failure = code == CURLE_OK ? nil : String(cString: curl_easy_strerror(code))
        return Outcome(status: transfer.status, headers: transfer.headers, errorBody: transfer.errorBody, transportError: failure)
    }
}
