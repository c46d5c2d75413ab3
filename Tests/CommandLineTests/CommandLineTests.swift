import Foundation
import ProfileStore
import Testing
import _TestSupport

/// The `onering` binary as a user runs it: arguments in; exit status, standard output and error out.
@Suite("Command line")
struct CommandLineTests {
    struct Run {
        var status: Int32
        /// Standard output and standard error interleaved as they were written (one pipe).
        var output: String
    }

    /// Runs the `onering` built beside the test runner.
    static func onering(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("onering")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
    }

    /// ``onering(_:environment:)`` on a thread of its own: waiting for a child process must not
    /// hold one of the two cooperative threads that every other test's async work runs on.
    static func oneringInBackground(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try onering(arguments, environment: environment) }) }.start()
        }
    }

    @Test("--version prints the release")
    func version() throws {
        let run = try Self.onering(["--version"])
        #expect(run.status == 0 && run.output.wholeMatch(of: /\d+\.\d+\.\d+\n/) != nil, "\(run.output)")
    }

    @Test(
        "bad arguments are named, with a non-zero exit",
        arguments: [
            (["import", "--user", "x"], "Unknown option '--user'"),
            (["db", "status", "--pg-port", "70000"], "--pg-port must be a TCP port"),
            (["embed", "--dimensions=-5"], "--dimensions must be in 1…16000"),
            (["import", "--users", "/tmp"], "/tmp is a directory"),
            (["import", "--users", "/nonexistent/users.jsonl"], "/nonexistent/users.jsonl does not exist"),
        ])
    func badArguments(arguments: [String], message: String) throws {
        let run = try Self.onering(arguments)
        #expect(run.status != 0)
        #expect(run.output.contains(message), "\(run.output)")
    }

    @Test(
        "cohorts map --png without rsvg-convert says only what to install, before any work",
        .enabled(if: !FileManager.default.isExecutableFile(atPath: "/usr/bin/rsvg-convert")))
    func mapWithoutConverter() throws {
        let run = try Self.onering(["cohorts", "map", "--svg", "/tmp/onering-map-test.svg", "--png", "/tmp/onering-map-test.png"])
        #expect(run.status != 0)
        #expect(run.output.contains("apt-get install librsvg2-bin"), "\(run.output)")
        #expect(!run.output.contains("Usage:"), "\(run.output)")
    }

    @Test("progress reaches a pipe as it happens: before the error that ends an import")
    func progressIsFlushed() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("onering-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let users = (1...40).map { #"{"id": \#($0), "handle": "u\#($0)", "name": "U \#($0)"}"# }
        var posts = (1...80).map { #"{"id": \#($0), "user_id": \#($0 % 40 + 1), "text": "hi", "platform": "x", "published_at": "2026-09-01T00:00:00Z"}"# }
        posts.append(#"{"id": 81, "user_id": 999, "text": "orphan", "platform": "x", "published_at": "2026-09-01T00:00:00Z"}"#)
        try users.joined(separator: "\n").write(to: directory.appendingPathComponent("users.jsonl"), atomically: true, encoding: .utf8)
        try posts.joined(separator: "\n").write(to: directory.appendingPathComponent("posts.jsonl"), atomically: true, encoding: .utf8)
        let schema = "test_cli_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let run = try await Self.oneringInBackground(
            [
                "import", "--schema", schema, "--batch-size", "10",
                "--users", directory.appendingPathComponent("users.jsonl").path, "--posts", directory.appendingPathComponent("posts.jsonl").path,
            ],
            environment: ["DATABASE_URL": try TestDatabase.connectionString()]
        )
        let store = try await ProfileStore.connect(.init(connectionString: try TestDatabase.connectionString(), schema: schema, dimensions: 1536))
        let stored = try await store.pool.withConnection { connection throws(ProfileStoreError) in
            try connection.query("SELECT count(*) FROM \"\(schema)\".users").int64(0, 0)
        }
        try await store.dropSchema()
        #expect(run.status != 0)
        let progress = try #require(run.output.range(of: "progress:"), "\(run.output)")
        let error = try #require(run.output.range(of: "Error: "), "\(run.output)")
        #expect(progress.lowerBound < error.lowerBound, "\(run.output)")
        #expect(run.output.contains("line 81: field \"user_id\" names user 999"))
        #expect(stored == 0, "the whole import rolled back")
    }

    @Test("a generation job killed mid-pipeline (kill -9) resumes after its last completed step, with no provider call repeated")
    func killedJobResumes() async throws {
        // The second draft's request is never answered before the process is killed.
        let server = try LocalHTTPServer { _, number in
            number == 2
                ? .init(status: 200, body: Data(), delay: 30)
                : .chatCompletion(
                    number == 1
                        ? "Tempo runs taught me patience. Start slower than you think. What is your easy pace?"
                        : "My long runs got easier the week I stopped racing them. Slow is a skill too.")
        }
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("onering-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let topics = ["tempo runs and easy pace", "marathon recovery weeks", "strength training for runners", "trail running in the rain"]
        let users = (1...12).map { #"{"id": \#($0), "handle": "runner\#($0)", "name": "Runner \#($0)", "bio": "I write about \#(topics[$0 % 4])"}"# }
        let posts = (1...60).map {
            #"{"id": \#($0), "user_id": \#($0 % 12 + 1), "text": "Notes on \#(topics[$0 % 4]), week \#($0): what worked and what did not.", "platform": "x", "published_at": "2026-11-0\#($0 % 9 + 1)T07:00:00Z", "likes": \#($0 * 3), "views": 500}"#
        }
        try users.joined(separator: "\n").write(to: directory.appendingPathComponent("users.jsonl"), atomically: true, encoding: .utf8)
        try posts.joined(separator: "\n").write(to: directory.appendingPathComponent("posts.jsonl"), atomically: true, encoding: .utf8)
        let schema = "test_cli_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let environment = ["DATABASE_URL": try TestDatabase.connectionString(), "OPENAI_API_KEY": "test-key"]
        let store = try await ProfileStore.connect(.init(connectionString: try TestDatabase.connectionString(), schema: schema, dimensions: 1536))
        try await TestDatabase.dropping(store) {
            let imported = try await Self.oneringInBackground(
                [
                    "import", "--schema", schema, "--users", directory.appendingPathComponent("users.jsonl").path,
                    "--posts", directory.appendingPathComponent("posts.jsonl").path,
                ], environment: environment)
            #expect(imported.status == 0, "\(imported.output)")
            #expect(try await Self.oneringInBackground(["embed", "--schema", schema], environment: environment).status == 0)
            let llm = ["--llm", "openai", "--llm-base-url", "http://127.0.0.1:\(server.port)", "--llm-model", "local-model", "--schema", schema]

            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("onering")
            child.arguments = ["generate", "1", "--job", "--variants", "2", "--brief", "tempo runs"] + llm
            child.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            func storedSteps() async throws -> [String: Int] {
                try await store.pool.withConnection { connection throws(ProfileStoreError) in
                    let rows = try connection.query("SELECT key, (span->>'attempt')::int FROM \"\(schema)\".generation_steps")
                    var steps: [String: Int] = [:]
                    for row in 0..<rows.rowCount { steps[try rows.string(row, 0)] = Int(try rows.int64(row, 1)) }
                    return steps
                }
            }
            var before: [String: Int] = [:]
            for _ in 0..<600 where before.count < 4 || server.requests.count < 2 {
                try await Task.sleep(for: .milliseconds(50))
                before = (try? await storedSteps()) ?? [:]
            }
            #expect(Set(before.keys) == ["research", "strategy", "write.1", "review.1"], "the first draft is stored, the second is being written")
            kill(child.processIdentifier, SIGKILL)
            while child.isRunning { try await Task.sleep(for: .milliseconds(10)) }
            #expect(child.terminationReason == .uncaughtSignal)

            // Its heartbeat stops with it: after --stale-after the job is claimed again.
            try await Task.sleep(for: .milliseconds(1_500))
            let resumed = try await Self.oneringInBackground(["generate", "--resume", "1", "--stale-after", "1"] + llm, environment: environment)
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(resumed.output.components(separatedBy: "(stored)").count - 1 == 4, "\(resumed.output)")
            #expect(resumed.output.contains("ranked variants"))
            #expect(server.requests.count == 3, "only the second draft is written again")
            let after = try await storedSteps()
            #expect(after == ["research": 1, "strategy": 1, "write.1": 1, "review.1": 1, "write.2": 2, "review.2": 2, "schedule": 2])
        }
    }
}
