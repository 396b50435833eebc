import Foundation

/// Runs a program to completion and captures its output; tests use it to drive `embargo`, dpkg,
/// rpm and the peers as real processes.
public struct Command: Sendable {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var stdoutData: Data
    }

    public enum Failure: Error, CustomStringConvertible {
        case timedOut(command: String, seconds: Double)
        case failed(command: String, status: Int32, stderr: String)

        public var description: String {
            switch self {
            case .timedOut(let command, let seconds): return "\(command) did not finish within \(seconds) s"
            case .failed(let command, let status, let stderr): return "\(command) exited \(status): \(stderr)"
            }
        }
    }

    /// Runs `executable` (a path, or a name looked up in PATH) with arguments.
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
        currentDirectory: String? = nil, input: Data? = nil, timeout: Double = 300
    ) throws -> Output {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        let inPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            inPipe.fileHandleForWriting.write(input)
            try? inPipe.fileHandleForWriting.close()
        }
        // Read both pipes concurrently so a full stderr cannot block the child.
        let stderrBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            stderrBox.data = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let deadline = DispatchTime.now() + timeout
        let stdoutBox = DataBox()
        group.enter()
        DispatchQueue.global().async {
            stdoutBox.data = outPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        if group.wait(timeout: deadline) == .timedOut {
            process.terminate()
            throw Failure.timedOut(command: ([executable] + arguments).joined(separator: " "), seconds: timeout)
        }
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdoutBox.data, as: UTF8.self),
            stderr: String(decoding: stderrBox.data, as: UTF8.self), stdoutData: stdoutBox.data)
    }

    /// Runs and throws unless the exit status is 0.
    @discardableResult
    public static func check(
        _ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
        currentDirectory: String? = nil, timeout: Double = 300
    ) throws -> Output {
        let output = try run(executable, arguments, environment: environment, currentDirectory: currentDirectory, timeout: timeout)
        guard output.status == 0 else {
            throw Failure.failed(
                command: ([executable] + arguments).joined(separator: " "), status: output.status, stderr: output.stderr + output.stdout)
        }
        return output
    }

    /// Whether a program is installed (on PATH).
    public static func isAvailable(_ name: String) -> Bool {
        (try? run("/bin/sh", ["-c", "command -v \(name)"]))?.status == 0
    }
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
}
