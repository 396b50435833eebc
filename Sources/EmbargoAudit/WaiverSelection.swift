import EmbargoEvaluation
import EmbargoPolicy
import Foundation

/// Which waiver files to load: the given files and directories, or the default directory when it
/// exists and none is given.
public struct WaiverSelection: Sendable, Hashable {
    /// Where administrators keep waivers (one or more `*.yaml` files).
    public static let defaultDirectory = "/etc/embargo/waivers.d"

    public var paths: [String]
    /// Read ``defaultDirectory`` when no path is given.
    public var useDefault: Bool

    public init(paths: [String] = [], useDefault: Bool = true) {
        self.paths = paths
        self.useDefault = useDefault
    }

    /// The paths to load: the given ones, else the default directory if it exists, else none.
    public func resolvedPaths(fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) -> [String] {
        if !paths.isEmpty { return paths }
        if useDefault && fileExists(Self.defaultDirectory) { return [Self.defaultDirectory] }
        return []
    }

    /// Loads and checks the waivers (against the policies, when given: scopes naming nothing they
    /// know are warnings).
    public func load(policies: PolicySet? = nil) throws(WaiverProblems) -> WaiverSet {
        let paths = resolvedPaths()
        if paths.isEmpty { return WaiverSet() }
        return try WaiverSet.load(paths: paths, policies: policies)
    }
}

extension WaiverDefinition {
    /// The evaluator's view of the waiver.
    public var waiver: Waiver {
        Waiver(
            id: id, vendor: scope.vendor, product: scope.product, package: scope.package, path: scope.path, host: scope.host,
            reason: reason, approver: approver, created: created, expires: expires, definedAt: location.description)
    }
}

extension WaiverSet {
    /// Every waiver, as the evaluator applies them.
    public var evaluatorWaivers: [Waiver] { waivers.map(\.waiver) }
}
