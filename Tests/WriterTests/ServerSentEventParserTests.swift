@testable import Writer
import Testing

@Suite("Server-sent events")
struct ServerSentEventParserTests {
    static let stream = "data: {\"a\":1}\r\n\r\n: keep-alive\n\nevent: ping\ndata: x\ndata: y\n\ndata:[DONE]\r\n\r\n"

    @Test("events come out whole however the bytes are split", arguments: [1, 2, 3, 7, 64])
    func anySplit(step: Int) {
        var parser = ServerSentEventParser()
        var events: [ServerSentEventParser.Event] = []
        let bytes = Array(Self.stream.utf8)
        for start in stride(from: 0, to: bytes.count, by: step) { events += parser.feed(bytes[start..<min(start + step, bytes.count)]) }
        #expect(events == [.init(name: "message", data: "{\"a\":1}"), .init(name: "ping", data: "x\ny"), .init(name: "message", data: "[DONE]")])
    }

    @Test("CR alone ends a line too; a comment never becomes an event")
    func carriageReturns() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array(": hello\rdata: z\r\r".utf8)) == [.init(name: "message", data: "z")])
    }
}
