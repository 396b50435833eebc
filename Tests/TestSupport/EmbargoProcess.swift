import Foundation

/// Runs the built `embargo` executable as a process, as users and scripts do.
public enum EmbargoProcess {
    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 120) throws -> Command.Output {
        try Command.run(ProjectPaths.embargoExecutable.path, arguments, environment: environment, timeout: timeout)
    }

    /// Runs and decodes standard output as a JSON object.
    public static func json(_ arguments: [String], environment: [String: String] = [:]) throws -> (Command.Output, [String: Any]) {
        let output = try run(arguments, environment: environment)
        let object = (try? JSONSerialization.jsonObject(with: output.stdoutData)) as? [String: Any] ?? [:]
        return (output, object)
    }
}
