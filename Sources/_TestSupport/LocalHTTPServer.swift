public import Foundation
internal import Glibc

/// A small HTTP/1.1 server on 127.0.0.1 for provider tests: each connection gets one
/// response from `handler` (after its delay), then the connection closes. A streamed
/// response is written chunk by chunk, each after its own pause, with no length: the
/// body ends when the connection closes, as a server-sent event stream may.
public final class LocalHTTPServer: @unchecked Sendable {
    /// A request as it arrived.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var headers: [String: String]
        public var body: Data
    }

    /// What to answer.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data
        public var delay: Double
        /// Written one by one after the headers, each after its pause (seconds), instead of `body`.
        public var chunks: [(pause: Double, bytes: Data)]?

        /// A whole response, after `delay` seconds.
        public init(status: Int, headers: [String: String] = [:], body: Data, delay: Double = 0) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }

        /// A streamed response: `chunks` written one by one, each after its pause.
        public init(status: Int, headers: [String: String] = [:], chunks: [(pause: Double, bytes: Data)]) {
            self.status = status
            self.headers = headers
            self.body = Data()
            self.delay = 0
            self.chunks = chunks
        }
    }

    /// The port it listens on.
    public let port: Int
    private let socket: Int32
    private let handler: @Sendable (Request, Int) -> Response
    private let lock = NSLock()
    private var received: [Request] = []

    /// The requests so far, in arrival order.
    public var requests: [Request] { lock.withLock { received } }

    /// Connections closed by the client before the response was fully written.
    public var abandonedResponses: Int { lock.withLock { abandoned } }
    private var abandoned = 0

    /// A server answering each request with `handler(request, its 1-based number)`.
    public init(handler: @escaping @Sendable (_ request: Request, _ number: Int) -> Response) throws {
        self.handler = handler
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.socket = socket
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && listen(socket, 16) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    /// Stops listening. The accept thread closes the socket itself: closing it here could
    /// let another server reuse the descriptor while this thread still accepts on it.
    public func stop() {
        shutdown(socket, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        while true {
            let client = accept(socket, nil, nil)
            guard client >= 0 else {
                close(socket)
                return
            }
            Thread { [self] in serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var request: Request?
        while request == nil {
            let count = read(client, &buffer, buffer.count)
            guard count > 0 else { return }
            data.append(contentsOf: buffer[0..<count])
            request = Self.parse(data)
        }
        let number = lock.withLock {
            received.append(request!)
            return received.count
        }
        let response = handler(request!, number)
        if response.delay > 0 { usleep(UInt32(response.delay * 1_000_000)) }
        var head = "HTTP/1.1 \(response.status) Status\r\nConnection: close\r\n"
        if response.chunks == nil { head += "Content-Length: \(response.body.count)\r\n" }
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        guard send(Data((head + "\r\n").utf8), to: client) else { return }
        guard let chunks = response.chunks else {
            _ = send(response.body, to: client)
            return
        }
        for chunk in chunks {
            if chunk.pause > 0 { usleep(UInt32(chunk.pause * 1_000_000)) }
            guard send(chunk.bytes, to: client) else {
                lock.withLock { abandoned += 1 }
                return
            }
        }
    }

    /// Writes all of `bytes`; false when the client has gone.
    private func send(_ bytes: Data, to client: Int32) -> Bool {
        bytes.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let written = Glibc.send(client, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if written <= 0 { return false }
                sent += written
            }
            return true
        }
    }

    /// A whole request, once its headers and `Content-Length` bytes of body have arrived.
    private static func parse(_ data: Data) -> Request? {
        guard let end = data.firstRange(of: Data("\r\n\r\n".utf8)) else { return nil }
        let lines = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let start = lines[0].split(separator: " ")
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard data.count - end.upperBound >= length else { return nil }
        return Request(
            method: String(start[0]), path: String(start[1]), headers: headers,
            body: data[end.upperBound..<end.upperBound + length]
        )
    }
}

extension LocalHTTPServer.Response {
    /// An OpenAI-compatible chat completion streamed as server-sent events: `text` in one chunk,
    /// then a chunk with `finishReason` and usage, then `[DONE]` (the provider's real wire format).
    public static func chatCompletion(_ text: String, finishReason: String = "stop") -> Self {
        let content = String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
        let body =
            #"data: {"choices":[{"index":0,"delta":{"content":\#(content)}}]}"# + "\n\n"
            + #"data: {"choices":[{"index":0,"delta":{},"finish_reason":"\#(finishReason)"}],"usage":{"prompt_tokens":40,"completion_tokens":20}}"#
            + "\n\n" + "data: [DONE]\n\n"
        return Self(status: 200, headers: ["Content-Type": "text/event-stream"], chunks: [(0, Data(body.utf8))])
    }
}

extension LocalHTTPServer.Request {
    /// The messages of a chat completion request, as (role, content) pairs.
    public var chatMessages: [(role: String, content: String)] {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        return (object?["messages"] as? [[String: Any]] ?? []).map { ($0["role"] as? String ?? "", $0["content"] as? String ?? "") }
    }
}
