import Testing

@testable import Writer

@Suite("Server-sent events")
struct ServerSentEventParserTests {
    static let stream = "data: {\"a\":1}\r\n\r\n: keep-alive\n\nevent: ping\ndata: x\ndata: y\n\ndata:[DONE]\r\n\r\n"

    @Test("events come out whole however the bytes are split", arguments: [1, 2, 3, 7, 64])
    func anySplit(step: Int) throws {
        var parser = ServerSentEventParser()
        var events: [ServerSentEventParser.Event] = []
        let bytes = Array(Self.stream.utf8)
        for start in stride(from: 0, to: bytes.count, by: step) { events += try parser.feed(bytes[start..<min(start + step, bytes.count)]) }
        #expect(events == [.init(name: "message", data: "{\"a\":1}"), .init(name: "ping", data: "x\ny"), .init(name: "message", data: "[DONE]")])
    }

    @Test("CR alone ends a line too; a comment never becomes an event")
    func carriageReturns() throws {
        var parser = ServerSentEventParser()
        #expect(try parser.feed(Array(": hello\rdata: z\r\r".utf8)) == [.init(name: "message", data: "z")])
    }

    @Test("a line or an event beyond the limits is an error, not an ever-growing buffer")
    func bounded() throws {
        var parser = ServerSentEventParser()
        parser.maximumLineBytes = 64
        // Bytes with no line break keep arriving: the parser stops them at the limit.
        #expect(try parser.feed(Array(repeating: UInt8(ascii: "a"), count: 64)) == [])
        #expect(throws: WriterError.self) { try parser.feed([UInt8(ascii: "a")]) }

        var events = ServerSentEventParser()
        events.maximumEventBytes = 100
        // Short lines, but one event's data grows past its limit without a blank line.
        #expect(throws: WriterError.self) { try events.feed(Array(String(repeating: "data: 0123456789\n", count: 20).utf8)) }
    }
}
