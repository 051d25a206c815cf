import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a helper program (initdb, pg_ctl, createdb) and captures its output.
///
/// It uses `posix_spawn` and `waitpid` directly. Output goes to a temporary file, not a pipe:
/// `pg_ctl start` leaves a server running that inherits the child's descriptors, so reading a
/// pipe to its end (or Foundation's `Process.waitUntilExit`) would wait for the server to exit.
struct CommandRunner {
    struct Result {
        let status: Int32
        let output: String
    }

    struct Failure: Error, CustomStringConvertible {
        let command: String
        let status: Int32
        let output: String
        var description: String {
            let lastLine = output.split(separator: "\n").last.map(String.init) ?? "no output"
            return "\(command) exited with status \(status): \(lastLine)"
        }
    }

    /// When set, every command runs as this OS user through `runuser -u USER --`.
    let runAsUser: String?

    func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        var argv = [executable] + arguments
        var path = executable
        if let runAsUser {
            path = try Self.locate("runuser", in: ["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            argv = [path, "-u", runAsUser, "--"] + argv
        }
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        env["LC_ALL"] = "C"
        let outputPath = FileManager.default.temporaryDirectory.path + "/custos-cmd-\(UUID().uuidString).out"
        defer { unlink(outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, cArgs, cEnv)
        guard spawned == 0 else {
            throw Failure(command: (executable as NSString).lastPathComponent, status: -1, output: String(cString: strerror(spawned)))
        }
        var waitStatus: Int32 = 0
        while waitpid(pid, &waitStatus, 0) == -1 {
            guard errno == EINTR else { throw Failure(command: executable, status: -1, output: "waitpid failed") }
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS, spelled out: Glibc's macros are not imported into Swift.
        let exited = waitStatus & 0x7f == 0
        return Result(status: exited ? (waitStatus >> 8) & 0xff : 128 + (waitStatus & 0x7f), output: output)
    }

    func runChecked(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let result = try run(executable, arguments, environment: environment)
        guard result.status == 0 else {
            throw Failure(command: (executable as NSString).lastPathComponent, status: result.status, output: result.output)
        }
        return result.output
    }

    static func locate(_ name: String, in folders: [String]) throws -> String {
        for folder in folders where FileManager.default.isExecutableFile(atPath: folder + "/" + name) {
            return folder + "/" + name
        }
        throw Failure(command: name, status: -1, output: "\(name) not found in \(folders.joined(separator: ":"))")
    }
}
