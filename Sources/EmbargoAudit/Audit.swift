import EmbargoCollectors
import EmbargoEvaluation
import EmbargoFileSystem
import EmbargoInventory
import EmbargoPolicy
import EmbargoReports
import Foundation

/// The version printed by `--version` and written into reports.
public enum EmbargoVersion {
    public static let current = "0.1.0"
}

/// Why an audit could not run at all (partial failures are scan issues, not these).
public enum AuditError: Error, CustomStringConvertible {
    case policy(PolicyProblems)
    case noBundledPolicies
    case root(FileSystemError)
    case unknownProfile(String, known: [String])
    case noDefaultProfile

    public var description: String {
        switch self {
        case .policy(let problems): return problems.description
        case .noBundledPolicies:
            return "no bundled policies found (looked for EMBARGO_POLICY_DIR, the checkout's Policies/, "
                + "\(BundledPolicies.installedDirectory)); pass --policy"
        case .root(let error): return "cannot open the root: \(error)"
        case .unknownProfile(let name, let known):
            return "unknown profile '\(name)'; known profiles: \(known.joined(separator: ", "))"
        case .noDefaultProfile: return "the policies define no default profile; pass --profile"
        }
    }
}

/// Which policies to load: the bundled directory (unless disabled) and any extra files or directories.
public struct PolicySelection: Sendable {
    public var useBundled: Bool
    public var extraPaths: [String]

    public init(useBundled: Bool = true, extraPaths: [String] = []) {
        self.useBundled = useBundled
        self.extraPaths = extraPaths
    }

    /// The paths to load, bundled first so that an extra file with the same id replaces it.
    public func paths() throws(AuditError) -> [String] {
        var paths: [String] = []
        if useBundled {
            guard let directory = BundledPolicies.directory() else {
                if extraPaths.isEmpty { throw .noBundledPolicies }
                return extraPaths
            }
            paths.append(directory)
        }
        return paths + extraPaths
    }

    public func load() throws(AuditError) -> PolicySet {
        do {
            return try PolicySet.load(paths: try paths())
        } catch let problems as PolicyProblems {
            throw .policy(problems)
        } catch let error as AuditError {
            throw error
        } catch {
            throw .noBundledPolicies
        }
    }
}

/// One audit: scan a root, evaluate against the policies, build the report.
public struct AuditRequest: Sendable {
    public var root: String
    public var policies: PolicySet
    public var profileID: String?
    public var asOf: Date?
    public var options: CollectionOptions
    public var waivers: [Waiver]

    public init(
        root: String = "/", policies: PolicySet, profileID: String? = nil, asOf: Date? = nil,
        options: CollectionOptions = CollectionOptions(), waivers: [Waiver] = []
    ) {
        self.root = root
        self.policies = policies
        self.profileID = profileID
        self.asOf = asOf
        self.options = options
        self.waivers = waivers
    }

    public func profile() throws(AuditError) -> Profile {
        if let profileID {
            guard let profile = policies.profile(withID: profileID) else {
                throw .unknownProfile(profileID, known: policies.profiles.map(\.id))
            }
            return profile
        }
        guard let profile = policies.defaultProfile else { throw .noDefaultProfile }
        return profile
    }
}

public struct AuditResult: Sendable {
    public var report: AuditReport
    public var inventory: Inventory
}

public enum Audit {
    /// Scans the root and judges what it found.
    public static func run(_ request: AuditRequest, scanner: InventoryScanner = InventoryScanner()) async throws(AuditError)
        -> AuditResult
    {
        let profile = try request.profile()
        let fileSystem: RootFileSystem
        do {
            fileSystem = try RootFileSystem(root: request.root)
        } catch {
            throw .root(error)
        }
        let started = Date()
        let context = CollectionContext(fileSystem: fileSystem, plan: request.policies.scanPlan(), options: request.options)
        let inventory = await scanner.scan(context)
        let host = HostIdentity.read(fileSystem)
        let asOf = request.asOf ?? Date()
        let findings = Evaluator.evaluate(
            EvaluationInput(
                inventory: inventory, policies: request.policies, profile: profile, asOf: asOf, waivers: request.waivers,
                hostName: host.hostname))
        let finished = Date()
        let report = AuditReport(
            tool: ToolInfo(version: EmbargoVersion.current), host: host,
            scan: ScanInfo(id: UUID().uuidString.lowercased(), startedAt: started, finishedAt: finished, sources: inventory.sources),
            asOf: asOf, profile: profile, policies: request.policies, findings: findings, issues: inventory.issues,
            packageCount: inventory.packages.count, scope: scope(of: request, inventory: inventory),
            waivers: request.waivers.map { WaiverRecord($0, asOf: asOf, findings: findings, hostName: host.hostname) })
        return AuditResult(report: report, inventory: inventory)
    }

    /// What the scan covered, with the file walk's defaults resolved.
    static func scope(of request: AuditRequest, inventory: Inventory) -> ScanScope {
        let options = request.options
        return ScanScope(
            root: inventory.root, collectors: Array(Set(inventory.sources.map(\.collector))).sorted(),
            walk: ScanScope.WalkScope(
                enabled: options.walkFiles && !options.packagesOnly,
                paths: options.walkPaths.isEmpty ? FileTreeWalker.defaultStartingDirectories : options.walkPaths,
                exclusions: options.walkExclusions.isEmpty ? FileTreeWalker.defaultExclusions.sorted() : options.walkExclusions,
                crossFileSystems: options.crossFileSystems))
    }

    /// Only the package databases: what `embargo inventory` shows.
    public static func inventory(root: String, scanner: InventoryScanner = InventoryScanner()) async throws(AuditError)
        -> Inventory
    {
        let fileSystem: RootFileSystem
        do {
            fileSystem = try RootFileSystem(root: root)
        } catch {
            throw .root(error)
        }
        return await scanner.scan(CollectionContext(fileSystem: fileSystem, options: CollectionOptions(packagesOnly: true)))
    }
}
