/// Turns the bytes of a `text/event-stream` into events as they arrive, however the
/// network splits them: lines may end in LF, CRLF or CR, and may be cut anywhere.
///
/// Per the HTML standard: `data:` lines accumulate (joined by newlines) until a blank line
/// dispatches the event; a line starting with `:` is a comment (`: keep-alive`); `event:`
/// names the event; other fields are ignored.
struct ServerSentEventParser {
    /// One dispatched event.
    struct Event: Equatable {
        var name: String
        var data: String
    }

    private var line: [UInt8] = []
    private var data: [String] = []
    private var name = ""
    private var lastWasCR = false

    /// The events completed by `bytes`.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
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
            default:
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
            defer { data.removeAll(); name = "" }
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
        case "data": data.append(String(value))
        case "event": name = String(value)
        default: break
        }
        return nil
    }
}
