import Foundation

/// Progress on standard output: a bar redrawn in place on a terminal, a plain line
/// every 10% otherwise (logs, CI).
final class ProgressLine {
    private let total: Int
    private let isTerminal = isatty(STDOUT_FILENO) == 1
    private var lastDecile = -1

    init(total: Int) { self.total = max(total, 1) }

    func update(done: Int, detail: String) {
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
        }
    }

    func finish() {
        if isTerminal { print() }
    }
}
