import Foundation

/// Progress on standard output: a bar redrawn in place on a terminal, a plain line
/// every 10% otherwise (logs, CI), each flushed at once so a log shows it as it happens.
/// Safe to update from any thread (the import reports from the store's).
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var total: Int
    private let isTerminal = isatty(STDOUT_FILENO) == 1
    private var lastDecile = -1

    init(total: Int) { self.total = max(total, 1) }

    /// Reports `done` of the total (`total` replaces it when the caller learns it late).
    func update(done: Int, total newTotal: Int? = nil, detail: String) {
        lock.lock()
        defer { lock.unlock() }
        if let newTotal { total = max(newTotal, 1) }
        let fraction = min(Double(done) / Double(total), 1)
        if isTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            print("\r\(bar) \(done)/\(total) \(detail)", terminator: "")
            fflush(nil)
        } else if Int(fraction * 10) > lastDecile {
            lastDecile = Int(fraction * 10)
            print("progress: \(done)/\(total) (\(Int(fraction * 100))%), \(detail)")
            fflush(nil)
        }
    }

    func finish() {
        if isTerminal { print() }
    }
}
