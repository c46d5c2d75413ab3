import Testing

@testable import Generation

@Suite("The runner's wake-up signal")
struct WakeSignalTests {
    @Test("a wait that timed out does not make the next waits return at once (no busy loop)")
    func timeoutsKeepWaiting() async {
        let signal = WakeSignal()
        let clock = ContinuousClock()
        for _ in 0..<3 {
            let waited = await clock.measure { await signal.wait(upTo: .milliseconds(40)) }
            #expect(waited >= .milliseconds(35), "\(waited)")
        }
    }

    @Test("a signal wakes a waiting task before its timeout; a signal with no one waiting is kept for the next wait")
    func signalWakes() async {
        let signal = WakeSignal()
        let clock = ContinuousClock()
        let waker = Task {
            try? await Task.sleep(for: .milliseconds(20))
            signal.signal()
        }
        // Timeouts far beyond what a loaded test run takes to schedule a task (up to a minute
        // has been seen here while the suite runs on two cores): returning well before them
        // means the signal woke the wait.
        let woken = await clock.measure { await signal.wait(upTo: .seconds(600)) }
        #expect(woken < .seconds(300), "\(woken)")
        await waker.value
        signal.signal()
        let pending = await clock.measure { await signal.wait(upTo: .seconds(600)) }
        #expect(pending < .seconds(300), "\(pending)")
    }
}
