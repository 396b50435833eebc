import Foundation

/// Finds the policies that ship with embargo, so that no flag is needed.
public enum BundledPolicies {
    /// Where an installed package puts them.
    public static let installedDirectory = "/usr/share/embargo/policies"

    /// The bundled policy directory for a running executable:
    /// 1. `$EMBARGO_POLICY_DIR` when set;
    /// 2. the checkout's `Policies/` when the executable runs from a build directory inside it;
    /// 3. `<prefix>/share/embargo/policies` next to the executable's `bin/`;
    /// 4. `/usr/share/embargo/policies`.
    public static func directory(
        executablePath: String = currentExecutablePath(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String? {
        let manager = FileManager.default
        if let override = environment["EMBARGO_POLICY_DIR"], !override.isEmpty {
            return override
        }
        var directory = URL(fileURLWithPath: executablePath).deletingLastPathComponent()
        for _ in 0..<8 {
            let candidate = directory.appendingPathComponent("Policies")
            if manager.fileExists(atPath: directory.appendingPathComponent("Package.swift").path),
                manager.fileExists(atPath: candidate.path)
            {
                return candidate.path
            }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        let besideBin = URL(fileURLWithPath: executablePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/embargo/policies")
        if manager.fileExists(atPath: besideBin.path) { return besideBin.path }
        if manager.fileExists(atPath: installedDirectory) { return installedDirectory }
        return nil
    }

    /// The path of the running executable, from `/proc/self/exe`.
    public static func currentExecutablePath() -> String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return resolved
        }
        return CommandLine.arguments.first ?? "embargo"
    }
}
