import Foundation
import Generation
import ProfileStore
import Synchronization

/// Prints a generation as it runs: each step as it completes, each variant's text as it is
/// written, then the ranked variants.
final class StepPrinter: Sendable {
    let quiet: Bool
    private let writingVariant = Mutex<Int?>(nil)

    init(quiet: Bool) { self.quiet = quiet }

    func note(_ line: String) {
        guard !quiet else { return }
        Swift.print(line)
    }

    func print(_ event: GenerationEvent) {
        guard !quiet else { return }
        switch event {
        case .step(let key, let span, let resumed):
            endLine()
            let mark = span.status == .ok ? "✓" : "✗"
            let detail = span.error ?? span.output
            Swift.print(
                "\(mark) \(key.padding(toLength: 10, withPad: " ", startingAt: 0)) \(resumed ? "(stored)" : "\(span.durationMilliseconds.fixed(1)) ms")  \(detail)"
            )
        case .writing:
            break
        case .token(let variant, let text):
            let started = writingVariant.withLock { current in
                defer { current = variant }
                return current != variant
            }
            if started { Swift.print("  variant \(variant): ", terminator: "") }
            Swift.print(text, terminator: "")
            fflush(nil)
        case .retry(let variant, let attempt, let reason):
            endLine()
            Swift.print("  variant \(variant): call \(attempt) failed (\(reason)); retrying")
        case .done:
            endLine()
        }
    }

    /// Ends a line of streamed text.
    private func endLine() {
        if writingVariant.withLock({ $0.take() }) != nil { Swift.print() }
    }

    func printRanking(_ result: GenerationResult) {
        Swift.print("\nranked variants (\(result.provider) · \(result.model)):")
        for variant in result.variants {
            Swift.print("\n#\(variant.rank) variant \(variant.variant), \(variant.angle.name), \(variant.verdict.rawValue)")
            for reason in variant.reasons { Swift.print("   · \(reason)") }
            for note in variant.notes { Swift.print("   · \(note)") }
            if let title = variant.post.title { Swift.print("   title: \(title)") }
            for (index, part) in variant.post.parts.enumerated() {
                Swift.print(variant.post.parts.count > 1 ? "   [\(index + 1)] \(part)" : "   \(part)")
            }
        }
        Swift.print("\nschedule: \(ISO8601DateFormatter().string(from: result.schedule.publishAt)), \(result.schedule.why)")
        let timings = result.timings
        Swift.print(
            "first token \(timings.firstTokenMilliseconds.fixed(1)) ms, total \(timings.totalMilliseconds.fixed(1)) ms, "
                + "provider \(timings.providerMilliseconds.fixed(1)) ms, steps \(timings.stepOverheadMilliseconds.fixed(1)) ms"
                + (result.generationID.map { " · generation \($0)" } ?? "") + (result.traceID.map { ", trace \($0)" } ?? ""))
    }
}
