/// Turns the bytes of a `text/event-stream` into events as they arrive, however the
/// network splits them: lines may end in LF, CRLF or CR, and may be cut anywhere.
///
/// Per the HTML standard: `data:` lines accumulate (joined by newlines) until a blank line
/// dispatches the event; a line starting with `:` is a comment (`: keep-alive`); `event:`
/// names the event; other fields are ignored. A line longer than `maximumLineBytes`, or an
/// event whose data grows past `maximumEventBytes`, is an error: a provider cannot make it
/// buffer without bound.
struct ServerSentEventParser {
    /// The longest line kept. Default 1 MiB (a chat chunk is a few hundred bytes).
    var maximumLineBytes = 1 << 20
    /// The most data one event may accumulate. Default 4 MiB.
    var maximumEventBytes = 4 << 20

    /// One dispatched event.
    struct Event: Equatable {
        var name: String
        var data: String
    }

    private var line: [UInt8] = []
    private var data: [String] = []
    private var dataBytes = 0
    private var name = ""
    private var lastWasCR = false

    /// The events completed by `bytes`.
    /// - Throws: `.invalidResponse` for a line or an event beyond the limits.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws(WriterError) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if lastWasCR {
                lastWasCR = false
                if byte == UInt8(ascii: "\n") { continue }  // CRLF: the CR ended the line
            }
            switch byte {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                lastWasCR = byte == UInt8(ascii: "\r")
                if let event = endLine() { events.append(event) }
                guard dataBytes <= maximumEventBytes else {
                    throw WriterError(.invalidResponse, "the event stream sent an event of more than \(maximumEventBytes) bytes")
                }
            default:
                guard line.count < maximumLineBytes else {
                    throw WriterError(.invalidResponse, "the event stream sent a line longer than \(maximumLineBytes) bytes")
                }
                line.append(byte)
            }
        }
        return events
    }

    /// Handles a complete line; returns the event a blank line dispatches.
    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        guard !line.isEmpty else {
            guard !data.isEmpty else { return nil }
            defer {
                data.removeAll()
                name = ""
                dataBytes = 0
            }
            return Event(name: name.isEmpty ? "message" : name, data: data.joined(separator: "\n"))
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring, value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            var rest = text[text.index(after: colon)...]
            if rest.first == " " { rest = rest.dropFirst() }
            value = rest
        } else {
            field = text[...]
            value = ""
        }
        switch field {
        case "data":
            data.append(String(value))
            dataBytes += value.utf8.count + 1
        case "event": name = String(value)
        default: break
        }
        return nil
    }
}
