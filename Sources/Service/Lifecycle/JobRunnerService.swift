internal import Personalization
internal import ServiceLifecycle

/// The job runner as a service: on shutdown it claims no new job, and a job that runs
/// (a cohort rebuild) finishes first, so no job stops halfway.
struct JobRunnerService: Service {
    let runner: JobRunner

    func run() async throws {
        await runner.run(while: { !Task.isShuttingDownGracefully })
    }
}
