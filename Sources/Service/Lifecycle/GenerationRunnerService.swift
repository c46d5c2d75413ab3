internal import Generation
internal import ServiceLifecycle

/// The generation job runner as a service. On shutdown the runner stops; a job it was running
/// keeps its stored steps and resumes after them when it is claimed again.
struct GenerationRunnerService: Service {
    let runner: GenerationRunner

    func run() async throws {
        await cancelWhenGracefulShutdown { await runner.run() }
    }
}
