import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One HTTP/1.1 request over a plain socket to 127.0.0.1, read as it arrives: what the
/// test client cannot do, such as leaving in the middle of a streamed response.
final class RawHTTPConnection: @unchecked Sendable {
    private let socket: Int32
    private(set) var received = Data()

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    deinit { close(socket) }

    /// Sends a POST of `json` to `path` with `token`.
    func post(_ path: String, json: String, token: String?) {
        var request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        request += "Connection: close\r\n\r\n" + json
        _ = request.utf8CString.withUnsafeBufferPointer { Glibc.send(socket, $0.baseAddress, $0.count - 1, 0) }
    }

    /// Sends `text` as it is (a part of a request, say).
    func send(raw text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(socket, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
    }

    /// Whether the peer closes the connection within `timeout` seconds (what it sends meanwhile is kept).
    func closedByPeer(timeout: Double) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var timeval = timeval(tv_sec: Int(timeout), tv_usec: 0)
                setsockopt(self.socket, SOL_SOCKET, SO_RCVTIMEO, &timeval, socklen_t(MemoryLayout<timeval>.size))
                var buffer = [UInt8](repeating: 0, count: 4_096)
                while true {
                    let count = recv(self.socket, &buffer, buffer.count, 0)
                    if count == 0 { return continuation.resume(returning: true) }
                    if count < 0 { return continuation.resume(returning: errno == ECONNRESET) }
                    self.received.append(contentsOf: buffer[0..<count])
                }
            }
        }
    }

    /// Reads until `marker` arrives or the peer closes; false when it never came. The blocking
    /// reads run on a dispatch queue: a cooperative thread blocked here could be one the server needs.
    func read(until marker: String, timeout: Double = 30) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.blockingRead(until: marker, timeout: timeout)) }
        }
    }

    private func blockingRead(until marker: String, timeout: Double) -> Bool {
        var timeval = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeval, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while !text.contains(marker) {
            let count = recv(socket, &buffer, buffer.count, 0)
            guard count > 0 else { return false }
            received.append(contentsOf: buffer[0..<count])
        }
        return true
    }

    /// Leaves: both directions of the connection shut, as a client that goes away.
    func disconnect() {
        shutdown(socket, Int32(SHUT_RDWR))
    }

    /// Everything received so far, as text.
    var text: String { String(decoding: received, as: UTF8.self) }

    /// The response's body as text: after the headers, with a chunked body's framing taken out.
    var body: String {
        guard let end = received.range(of: Data("\r\n\r\n".utf8)) else { return "" }
        let head = String(decoding: received[..<end.lowerBound], as: UTF8.self).lowercased()
        var rest = received[end.upperBound...]
        guard head.contains("transfer-encoding: chunked") else { return String(decoding: rest, as: UTF8.self) }
        var body = Data()
        while let line = rest.range(of: Data("\r\n".utf8)),
            let size = Int(String(decoding: rest[..<line.lowerBound], as: UTF8.self), radix: 16), size > 0,
            rest.distance(from: line.upperBound, to: rest.endIndex) >= size
        {
            let start = line.upperBound
            body.append(rest[start..<rest.index(start, offsetBy: size)])
            rest = rest[rest.index(start, offsetBy: size)...].dropFirst(2)
        }
        return String(decoding: body, as: UTF8.self)
    }
}
