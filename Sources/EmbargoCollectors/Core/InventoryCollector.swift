import EmbargoFileSystem
import EmbargoInventory

/// What every collector receives: the root to read through and the plan of what to look for.
public struct CollectionContext: Sendable {
    public let fileSystem: RootFileSystem
    public let plan: ScanPlan
    public let options: CollectionOptions

    public init(fileSystem: RootFileSystem, plan: ScanPlan = ScanPlan(), options: CollectionOptions = CollectionOptions()) {
        self.fileSystem = fileSystem
        self.plan = plan
        self.options = options
    }
}

/// Settings that change how much the collectors read.
public struct CollectionOptions: Sendable {
    /// Only package databases: what `embargo inventory` needs.
    public var packagesOnly: Bool
    /// Directory for caches between scans (the daemon's state directory); nil disables caching.
    public var cacheDirectory: String?
    /// Directories the file walk covers (paths inside the root); empty uses the defaults.
    public var walkPaths: [String]
    /// Path patterns the file walk skips.
    public var walkExclusions: [String]
    /// Whether the file walk may cross into other file systems.
    public var crossFileSystems: Bool
    /// Whether to walk the file tree for loose binaries at all (package databases, policy paths,
    /// units, certificates and repositories are read either way).
    public var walkFiles: Bool

    public init(
        packagesOnly: Bool = false, cacheDirectory: String? = nil, walkPaths: [String] = [],
        walkExclusions: [String] = [], crossFileSystems: Bool = false, walkFiles: Bool = true
    ) {
        self.packagesOnly = packagesOnly
        self.cacheDirectory = cacheDirectory
        self.walkPaths = walkPaths
        self.walkExclusions = walkExclusions
        self.crossFileSystems = crossFileSystems
        self.walkFiles = walkFiles
    }
}

/// One source of inventory: a package database format, a kind of file, the process table...
///
/// A collector reads only through ``CollectionContext/fileSystem``, never the policy. It returns
/// what it could read plus typed problems; it never throws and never stops the scan.
public protocol InventoryCollector: Sendable {
    /// Short name used in reports and error codes (`dpkg`, `rpm`, `units`).
    var name: String { get }
    /// Whether the collector reads a package database (run by `embargo inventory` too).
    var readsPackageDatabase: Bool { get }
    func collect(_ context: CollectionContext) async -> CollectorOutput
}

extension InventoryCollector {
    public var readsPackageDatabase: Bool { false }
}

/// A collector's share of the inventory.
public struct CollectorOutput: Sendable {
    public var inventory: Inventory
    /// How to find which of this collector's packages own a path, read only when needed.
    public var ownership: (any FileOwnershipSource)?

    public init(inventory: Inventory, ownership: (any FileOwnershipSource)? = nil) {
        self.inventory = inventory
        self.ownership = ownership
    }
}

/// Answers "which packages list this file?" for one package database. File lists are large, so
/// they are read only when some found file needs an owner.
public protocol FileOwnershipSource: Sendable {
    /// The packages that own each of the given paths. Paths are canonical (usr-merge aliases
    /// resolved with the root's ``UsrMergeAliases``); an implementation canonicalises its own lists
    /// the same way.
    func owners(of paths: Set<String>, aliases: UsrMergeAliases) -> OwnershipResult
}

public struct OwnershipResult: Sendable {
    public var owners: [String: [PackageID]]
    public var issues: [ScanIssue]

    public init(owners: [String: [PackageID]] = [:], issues: [ScanIssue] = []) {
        self.owners = owners
        self.issues = issues
    }
}
