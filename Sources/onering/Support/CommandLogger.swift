import Foundation
import Logging

/// The CLI's logger: plain text to standard error, level from `LOG_LEVEL` (default warning,
/// so command output stays what the command prints).
func commandLogger(_ label: String) -> Logger {
    var logger = Logger(label: label, factory: { label in StreamLogHandler.standardError(label: label) })
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .warning
    return logger
}
