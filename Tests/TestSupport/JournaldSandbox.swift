import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A private systemd-journald for one test, in a private mount namespace, as
/// `../shared/reference/linux-testing.md` describes: `unshare --mount --propagation private`, a
/// private `/run/systemd` and `/run/log` bound from the sandbox directory, a tmpfs over
/// `/var/log/journal`, and a `journald.conf` with `Storage=volatile`, `ReadKMsg=no`,
/// `ForwardToSyslog=no`, `RateLimitIntervalSec=0`, `Audit=no`. journald gets no arguments (an
/// argument would be taken as a namespace name).
///
/// Programs run inside the namespace see this journald at the fixed socket path; the test reads
/// the journal files afterwards (or while they run) from ``journalDirectory``. Without journald
/// (`journald: false`) `/run/systemd` is an empty tmpfs: the journal is down.
public final class JournaldSandbox: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let runsJournald: Bool
    private var runCount = 0

    /// The directory holding the journal files (`journalctl -D`, `--journal-directory`).
    public var journalDirectory: String { directory.path + "/log/journal" }

    /// Whether this machine can run the sandbox: root (or user namespaces), `unshare`, journald.
    public static var isSupported: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
            && FileManager.default.isExecutableFile(atPath: journaldPath)
            && FileManager.default.fileExists(atPath: "/var/log/journal")
            && FileManager.default.fileExists(atPath: "/etc/systemd/journald.conf")
    }

    public static let journaldPath = "/lib/systemd/systemd-journald"

    public init(journald: Bool = true) throws {
        directory = try TemporaryDirectory(prefix: "embargo-journald")
        runsJournald = journald
        try directory.makeDirectory("run-systemd")
        try directory.makeDirectory("log")
        try directory.write(
            "journald.conf",
            """
            [Journal]
            Storage=volatile
            ReadKMsg=no
            ForwardToSyslog=no
            ForwardToWall=no
            ForwardToConsole=no
            RateLimitIntervalSec=0
            Audit=no

            """)
        try directory.write("sandbox.sh", Self.script)
    }

    /// The namespace set-up; `$1` is the sandbox directory, `$2` a run tag, `$3` 1 to start
    /// journald, the rest the command. The command's pid goes to `<tag>.pid`, its output to
    /// `<tag>.stdout`/`<tag>.stderr`, its exit status to `<tag>.status`.
    static let script = """
        set -eu
        W="$1"; TAG="$2"; JOURNALD="$3"; shift 3
        if [ "$JOURNALD" = 1 ]; then
          mount --bind "$W/run-systemd" /run/systemd
        else
          mount -t tmpfs -o mode=0755 tmpfs /run/systemd
        fi
        mkdir -p /run/systemd/journal /run/log
        mount --bind "$W/log" /run/log
        mount -t tmpfs -o mode=2755 tmpfs /var/log/journal
        mount --bind "$W/journald.conf" /etc/systemd/journald.conf
        J=""
        if [ "$JOURNALD" = 1 ]; then
          env -u NOTIFY_SOCKET -u WATCHDOG_USEC -u WATCHDOG_PID \(journaldPath) </dev/null >"$W/$TAG.journald.log" 2>&1 &
          J=$!
          i=0
          while [ ! -S /run/systemd/journal/socket ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
        fi
        set +e
        "$@" </dev/null >"$W/$TAG.stdout" 2>"$W/$TAG.stderr" &
        P=$!
        echo $P >"$W/$TAG.pid"
        wait $P
        status=$?
        echo $status >"$W/$TAG.status"
        if [ -n "$J" ]; then
          journalctl --sync >/dev/null 2>&1
          kill $J
          wait $J
        fi
        exit $status
        """

    /// Starts a program inside the sandbox; returns once its pid is known.
    public func start(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> SandboxedProcess {
        runCount += 1
        let tag = "run\(runCount)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments =
            ["--mount", "--propagation", "private", "/bin/sh", directory.path + "/sandbox.sh", directory.path, tag, runsJournald ? "1" : "0", executable]
            + arguments
        var processEnvironment = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "INVOCATION_ID"] {
            processEnvironment[key] = nil
        }
        process.environment = processEnvironment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        let wrapperOutput = directory.url.appendingPathComponent("\(tag).wrapper")
        _ = FileManager.default.createFile(atPath: wrapperOutput.path, contents: nil)
        let handle = try FileHandle(forWritingTo: wrapperOutput)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let sandboxed = SandboxedProcess(wrapper: process, directory: directory.path, tag: tag)
        try sandboxed.waitForPID(timeout: 10)
        return sandboxed
    }

    /// Runs a program inside the sandbox to completion.
    public func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 120
    ) throws -> Command.Output {
        let process = try start(executable, arguments, environment: environment)
        return try process.waitForExit(timeout: timeout)
    }
}

/// A program running inside a ``JournaldSandbox``.
public final class SandboxedProcess: @unchecked Sendable {
    let wrapper: Process
    let directory: String
    let tag: String
    public private(set) var pid: Int32 = 0

    init(wrapper: Process, directory: String, tag: String) {
        self.wrapper = wrapper
        self.directory = directory
        self.tag = tag
    }

    deinit {
        if wrapper.isRunning {
            if pid > 0 { kill(pid, SIGKILL) }
            wrapper.waitUntilExit()
        }
    }

    func waitForPID(timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: "\(directory)/\(tag).pid", encoding: .utf8),
                let value = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                pid = value
                return
            }
            if !wrapper.isRunning { throw SandboxError("the sandbox exited before the program started: \(wrapperOutput)") }
            usleep(10_000)
        }
        throw SandboxError("the program did not start within \(timeout) s: \(wrapperOutput)")
    }

    public var isRunning: Bool { wrapper.isRunning && kill(pid, 0) == 0 && !exited }

    private var exited: Bool { FileManager.default.fileExists(atPath: "\(directory)/\(tag).status") }

    public func signal(_ number: Int32) {
        if pid > 0 { kill(pid, number) }
    }

    /// What the program wrote to standard output and error so far.
    public var stdout: String { (try? String(contentsOfFile: "\(directory)/\(tag).stdout", encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: "\(directory)/\(tag).stderr", encoding: .utf8)) ?? "" }
    var wrapperOutput: String { (try? String(contentsOfFile: "\(directory)/\(tag).wrapper", encoding: .utf8)) ?? "" }

    /// Waits for the program (and the sandbox's journald) to finish.
    public func waitForExit(timeout: Double) throws -> Command.Output {
        let deadline = Date().addingTimeInterval(timeout)
        while wrapper.isRunning {
            if Date() >= deadline {
                signal(SIGKILL)
                wrapper.waitUntilExit()
                throw SandboxError("the program did not exit within \(timeout) s; stderr: \(stderr)")
            }
            usleep(20_000)
        }
        let statusText = (try? String(contentsOfFile: "\(directory)/\(tag).status", encoding: .utf8)) ?? ""
        let status = Int32(statusText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? wrapper.terminationStatus
        return Command.Output(status: status, stdout: stdout, stderr: stderr, stdoutData: Data(stdout.utf8))
    }
}

public struct SandboxError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
