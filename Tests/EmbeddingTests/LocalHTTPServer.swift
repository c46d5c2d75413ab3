import Foundation
import Glibc

/// A small HTTP/1.1 server on 127.0.0.1 for provider tests: each connection gets one
/// response from `handler` (after its delay), then the connection closes.
final class LocalHTTPServer: @unchecked Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: Data
    }

    struct Response: Sendable {
        var status: Int
        var headers: [String: String] = [:]
        var body: Data
        var delay: Double = 0
    }

    let port: Int
    private let socket: Int32
    private let handler: @Sendable (Request, Int) -> Response
    private let lock = NSLock()
    private var received: [Request] = []

    /// The requests so far, in arrival order.
    var requests: [Request] { lock.withLock { received } }

    init(handler: @escaping @Sendable (_ request: Request, _ number: Int) -> Response) throws {
        self.handler = handler
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.socket = socket
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && listen(socket, 16) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    /// Stops listening. The accept thread closes the socket itself: closing it here could
    /// let another server reuse the descriptor while this thread still accepts on it.
    func stop() {
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
        var head = "HTTP/1.1 \(response.status) Status\r\nContent-Length: \(response.body.count)\r\nConnection: close\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        let bytes = Data((head + "\r\n").utf8) + response.body
        bytes.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let written = write(client, raw.baseAddress! + sent, raw.count - sent)
                if written <= 0 { return }
                sent += written
            }
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
