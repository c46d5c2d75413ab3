public import Logging
internal import Synchronization

/// A log handler that keeps every message, so a test can check what a user is told.
public final class CapturingLogHandler: LogHandler, Sendable {
    private let captured = Mutex<[String]>([])
    private let settings = Mutex<(Logger.Metadata, Logger.Level)>(([:], .trace))

    public init() {}

    /// The messages so far, oldest first.
    public var messages: [String] { captured.withLock { $0 } }

    /// A logger that writes here.
    public var logger: Logger { Logger(label: "test") { _ in self } }

    public var metadata: Logger.Metadata {
        get { settings.withLock { $0.0 } }
        set { settings.withLock { $0.0 = newValue } }
    }

    public var logLevel: Logger.Level {
        get { settings.withLock { $0.1 } }
        set { settings.withLock { $0.1 = newValue } }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        captured.withLock { $0.append("\(event.level): \(event.message)") }
    }
}
