internal import Foundation
internal import Glibc

/// Runs a program to completion with `posix_spawn` and `waitpid`.
///
/// Not Foundation's `Process`: on Linux its `waitUntilExit` can miss the exit of a
/// child that leaves a daemon behind (`pg_ctl start`) and wait forever. Output goes
/// to temporary files, so a daemon that keeps a descriptor cannot hold us either.
/// The program runs from `/`: the server's user may not be allowed into the caller's directory.
enum Subprocess {
    /// Runs `executable` with `arguments`; returns its standard output, or throws with its standard error.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws(ProfileStoreError) -> String {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("onering-\(UUID().uuidString)").path
        let outputPath = base + ".stdout"
        let errorPath = base + ".stderr"
        defer {
            unlink(outputPath)
            unlink(errorPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        // `env -C /` changes directory before running the program (glibc's addchdir is not visible to Swift).
        let argv = ["/usr/bin/env", "-C", "/", executable] + arguments
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else {
            throw ProfileStoreError(.embeddedServer, "cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard exitCode == 0 else {
            let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            let message = (errors + output).trimmingCharacters(in: .whitespacesAndNewlines)
            throw ProfileStoreError(.embeddedServer, "\((executable as NSString).lastPathComponent) exited with \(exitCode): \(message)")
        }
        return output
    }
}
