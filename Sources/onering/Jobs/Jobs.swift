import ArgumentParser
import Foundation
import Personalization
import ProfileStore

/// `onering jobs …`: the queue of background work (cohort rebuilds, embedding backfills).
struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue, run and inspect background jobs (cohorts.rebuild, embeddings.backfill).",
        subcommands: [JobsList.self, JobsShow.self, JobsEnqueue.self, JobsRun.self]
    )
}

struct JobsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The newest jobs first.")

    @OptionGroup var store: StoreOptions
    @Option(help: "Jobs to show.") var limit: Int = 20

    func run() async throws {
        let jobs = try await store.openStore().jobs(limit: limit)
        if jobs.isEmpty { print("no jobs") }
        for job in jobs {
            let finished = job.finishedAt.map { " finished \(ISO8601DateFormatter().string(from: $0))" } ?? ""
            print(
                "\(job.id)\t\(job.kind)\t\(job.status.rawValue)\tattempts \(job.attempts)\t\(job.progressJSON)\(finished)\(job.error.map { "\terror: \($0)" } ?? "")"
            )
        }
    }
}

struct JobsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One job as JSON-ish lines: payload, progress, result, error.")

    @OptionGroup var store: StoreOptions
    @Argument(help: "The job's id.") var id: Int64

    func run() async throws {
        guard let job = try await store.openStore().job(id: id) else { throw ValidationError("there is no job \(id)") }
        let format = ISO8601DateFormatter()
        print(
            """
            job \(job.id): \(job.kind), \(job.status.rawValue), attempts \(job.attempts)
            queued:    \(format.string(from: job.createdAt))
            started:   \(job.startedAt.map(format.string) ?? "-")
            finished:  \(job.finishedAt.map(format.string) ?? "-")
            payload:   \(job.payloadJSON)
            progress:  \(job.progressJSON)
            result:    \(job.resultJSON ?? "-")
            error:     \(job.error ?? "-")
            """)
    }
}

struct JobsEnqueue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Queue a job: cohorts.rebuild (payload {\"k\": 64|\"auto\", \"seed\": 1}) or embeddings.backfill ({\"all\": false})."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "cohorts.rebuild or embeddings.backfill.") var kind: String
    @Option(help: "The job's parameters, a JSON object.") var payload: String = "{}"

    func validate() throws {
        guard JobRunner.kinds.contains(kind) else { throw ValidationError("unknown job kind \(kind); one of \(JobRunner.kinds.joined(separator: ", "))") }
        guard (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) is [String: Any] else {
            throw ValidationError("--payload must be a JSON object")
        }
    }

    func run() async throws {
        let job = try await store.openStore().enqueueJob(kind: kind, payloadJSON: payload)
        print("queued job \(job.id) (\(job.kind))")
    }
}

struct JobsRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run queued jobs: until the queue is empty, or with --follow until interrupted."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var embedding: EmbedderOptions
    @Flag(help: "Keep running and wait for new jobs.") var follow = false

    func run() async throws {
        let profileStore = try await store.openStore()
        let runner = JobRunner(store: profileStore, embedder: try embedding.embedder(dimensions: store.dimensions), logger: commandLogger("onering.jobs"))
        if follow {
            await runner.run()
            return
        }
        var total = 0
        while true {
            let ran = try await runner.runQueued()
            if ran == 0 { break }
            total += ran
        }
        print("jobs: ran \(total)")
        for job in try await profileStore.jobs(limit: max(total, 1)) where total > 0 {
            print("\(job.id)\t\(job.kind)\t\(job.status.rawValue)\(job.error.map { "\t\($0)" } ?? "")")
        }
    }
}
