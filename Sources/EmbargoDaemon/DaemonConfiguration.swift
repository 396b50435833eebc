import Foundation

/// Everything embargod can be told, with the defaults documented in `docs/journal.md` and the
/// sample `systemd/embargod.conf`. Values come from the defaults, then the configuration file,
/// then the command line (each later one wins).
public struct DaemonConfiguration: Sendable, Hashable {
    /// The root to watch and scan (`/` for this machine).
    public var root = "/"
    /// Extra policy files or directories, loaded after the bundled ones.
    public var policyPaths: [String] = []
    public var useBundledPolicies = true
    /// The profile to judge against; nil uses the policies' default profile.
    public var profile: String?
    /// Where the state database lives; nil means `$STATE_DIRECTORY` or `/var/lib/embargo`.
    public var stateDirectory: String?
    /// Seconds between full scans.
    public var scanInterval: Double = 6 * 3600
    /// Up to this many seconds are added at random to each periodic scan, so a fleet does not
    /// scan in step.
    public var scanJitter: Double = 15 * 60
    /// A rescan starts this many seconds after the last change to a package database.
    public var rescanDelay: Double = 1
    /// ... but no later than this many seconds after the first change of a burst.
    public var rescanMaximumDelay: Double = 30
    /// Watch package databases with inotify.
    public var watchPackageDatabases = true
    /// Days before a prohibiting phase at which a reminder entry is written.
    public var reminderDays: [Int] = [30, 7, 1]
    /// Inventories of this many recent scans are kept.
    public var keepInventories = 3
    /// Scans older than this many days are pruned from the state database.
    public var historyDays = 400
    /// A scan running longer than this many seconds stops the watchdog pings (systemd then
    /// restarts the service).
    public var scanTimeout: Double = 30 * 60
    /// Write entries to the journal (off: state and exit codes only).
    public var journal = true
    /// Waiver files or directories; empty means `/etc/embargo/waivers.d` when it exists.
    public var waiverPaths: [String] = []
    /// Where to write Prometheus metrics for node_exporter's textfile collector; nil: none.
    public var metricsFile: String?

    public init() {}

    /// The default configuration file.
    public static let defaultFile = "/etc/embargo/embargod.conf"
    /// Used when neither the file, the flags nor systemd (`$STATE_DIRECTORY`) name one.
    public static let defaultStateDirectory = "/var/lib/embargo"

    /// The state directory in force: the configured one, else the first of systemd's
    /// `$STATE_DIRECTORY` (a colon-separated list), else `/var/lib/embargo`.
    public func resolvedStateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let stateDirectory { return stateDirectory }
        if let fromSystemd = environment["STATE_DIRECTORY"]?.split(separator: ":").first, !fromSystemd.isEmpty {
            return String(fromSystemd)
        }
        return Self.defaultStateDirectory
    }
}

/// Settings given on the command line; each non-nil value replaces the file's.
public struct DaemonOverrides: Sendable, Hashable {
    public var root: String?
    public var policyPaths: [String] = []
    public var noBundledPolicies = false
    public var profile: String?
    public var stateDirectory: String?
    public var scanInterval: Double?
    public var rescanDelay: Double?

    public init(
        root: String? = nil, policyPaths: [String] = [], noBundledPolicies: Bool = false, profile: String? = nil,
        stateDirectory: String? = nil, scanInterval: Double? = nil, rescanDelay: Double? = nil
    ) {
        self.root = root
        self.policyPaths = policyPaths
        self.noBundledPolicies = noBundledPolicies
        self.profile = profile
        self.stateDirectory = stateDirectory
        self.scanInterval = scanInterval
        self.rescanDelay = rescanDelay
    }

    /// `--policy` paths are added to the file's; the other flags replace its values.
    public func apply(to configuration: DaemonConfiguration) -> DaemonConfiguration {
        var result = configuration
        if let root { result.root = root }
        result.policyPaths += policyPaths
        if noBundledPolicies { result.useBundledPolicies = false }
        if let profile { result.profile = profile }
        if let stateDirectory { result.stateDirectory = stateDirectory }
        if let scanInterval { result.scanInterval = scanInterval }
        if let rescanDelay { result.rescanDelay = rescanDelay }
        return result
    }
}

/// Where the configuration comes from: an explicit file must exist; the default file may not.
public struct ConfigurationSource: Sendable, Hashable {
    public var file: String
    public var required: Bool
    public var overrides: DaemonOverrides

    public init(file: String?, overrides: DaemonOverrides) {
        self.file = file ?? DaemonConfiguration.defaultFile
        self.required = file != nil
        self.overrides = overrides
    }

    /// Reads the file (when present) and applies the flags.
    public func load() throws(ConfigurationProblems) -> DaemonConfiguration {
        var configuration = DaemonConfiguration()
        if FileManager.default.fileExists(atPath: file) {
            configuration = try ConfigurationFile.load(path: file)
        } else if required {
            throw ConfigurationProblems([ConfigurationProblem(file: file, line: nil, message: "no such file")])
        }
        return overrides.apply(to: configuration)
    }
}
