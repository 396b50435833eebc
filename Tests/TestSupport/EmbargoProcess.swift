import Foundation

/// Runs the built `embargo` executable as a process, as users and scripts do.
public enum EmbargoProcess {
    /// Caches the tests' scans write go to one temporary directory, not the user's ~/.cache.
    static let cacheHome = try? TemporaryDirectory(prefix: "embargo-test-cache")

    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 120) throws -> Command.Output {
        var environment = environment
        if environment["XDG_CACHE_HOME"] == nil, let cacheHome { environment["XDG_CACHE_HOME"] = cacheHome.path }
        return try Command.run(ProjectPaths.embargoExecutable.path, arguments, environment: environment, timeout: timeout)
    }

    /// Runs and decodes standard output as a JSON object.
    public static func json(_ arguments: [String], environment: [String: String] = [:]) throws -> (Command.Output, [String: Any]) {
        let output = try run(arguments, environment: environment)
        let object = (try? JSONSerialization.jsonObject(with: output.stdoutData)) as? [String: Any] ?? [:]
        return (output, object)
    }
}
