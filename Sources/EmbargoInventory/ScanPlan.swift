/// What the collectors should look for beyond the package databases, compiled from the policy.
///
/// Collectors receive this plan and never the policy itself: a new vendor changes the plan, not a
/// collector.
public struct ScanPlan: Sendable {
    /// Files and directories to look for at fixed places (`/opt/kaspersky/**`).
    public var pathGlobs: [Glob]
    /// Unit names worth recording in detail (`kesl*.service`).
    public var unitNames: [Glob]
    /// File names that identify a product wherever they are found during a walk.
    public var fileNames: Set<String>
    /// SHA-256 digests (lower-case hex) that identify a product's files.
    public var sha256Digests: Set<String>
    /// Byte strings to search for, each as a whole token, in executable files found by a walk.
    public var markers: [String]
    public var certificateSubjects: [Glob]
    public var repositoryHosts: [Glob]
    public var processNames: [Glob]
    public var kernelModuleNames: [Glob]

    public init(
        pathGlobs: [Glob] = [], unitNames: [Glob] = [], fileNames: Set<String> = [], sha256Digests: Set<String> = [],
        markers: [String] = [], certificateSubjects: [Glob] = [], repositoryHosts: [Glob] = [],
        processNames: [Glob] = [], kernelModuleNames: [Glob] = []
    ) {
        self.pathGlobs = pathGlobs
        self.unitNames = unitNames
        self.fileNames = fileNames
        self.sha256Digests = sha256Digests
        self.markers = markers
        self.certificateSubjects = certificateSubjects
        self.repositoryHosts = repositoryHosts
        self.processNames = processNames
        self.kernelModuleNames = kernelModuleNames
    }

    /// Whether a path is named by one of the plan's path patterns.
    public func isInterestingPath(_ path: String) -> Bool {
        pathGlobs.contains { $0.matches(path) }
    }

    /// Whether a unit name is named by one of the plan's unit patterns.
    public func isInterestingUnit(_ name: String) -> Bool {
        unitNames.contains { $0.matches(name) }
    }
}
