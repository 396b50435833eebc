import Foundation

/// Where the fleet stands: per host, the restricted products it holds with their latest status,
/// and across hosts, which products are held where. Built by ``FleetAggregator``; the renderers
/// only present it. The JSON form is documented in docs/fleet.md and docs/fleet-report.schema.json.
public struct FleetReportDocument: Sendable {
    public static let schemaIdentifier = "embargo.fleet-report/v1"

    /// A finding a host holds now (found and not resolved since).
    public struct HeldFinding: Sendable, Hashable {
        public var findingID: String
        public var vendor: String
        public var vendorName: String?
        public var product: String
        public var productName: String?
        public var status: String
        public var severity: String?
        public var confidence: String?
        /// When the finding was found (the start of this holding period).
        public var firstSeen: Date
        /// Whether ``firstSeen`` is a `finding-found` entry; false when the journal starts later
        /// (rotated or vacuumed) and the earliest entry about it is used.
        public var firstSeenExact: Bool
        /// When the current status began.
        public var statusSince: Date
        /// The latest entry about the finding.
        public var lastEntry: Date
        public var lastEvent: String
        public var phase: String?
        public var effective: String?
        public var packageIDs: [String]
        public var installedAt: String?
        public var waiverID: String?
        public var waiverExpires: String?
        /// The waiver expired (a `waiver-expired` entry, or a violation still naming a waiver).
        public var waiverExpired: Bool
    }

    /// A finding that was held and is resolved.
    public struct ResolvedFinding: Sendable, Hashable {
        public var findingID: String
        public var vendor: String
        public var product: String
        public var productName: String?
        public var lastStatus: String?
        public var firstSeen: Date?
        public var resolvedAt: Date
    }

    /// The last `scan-completed` entry of a host.
    public struct ScanSummary: Sendable, Hashable {
        public var at: Date
        public var scanID: String?
        public var verdict: String?
        public var findings: Int?
        public var errors: Int?
        public var policyID: String?
        public var policyVersion: String?
        public var profile: String?
    }

    public struct Host: Sendable {
        public var key: FleetHostKey
        /// The latest `_HOSTNAME` seen for the machine.
        public var hostname: String?
        public var machineID: String?
        public var root: String { key.root }
        public var firstEntry: Date
        public var lastEntry: Date
        public var lastScan: ScanSummary?
        /// The last `scan-error` entry, if it is newer than the last completed scan.
        public var lastError: String?
        public var lastErrorAt: Date?
        public var held: [HeldFinding]
        public var resolved: [ResolvedFinding]
        public var entries: Int

        /// `non-compliant` when a held finding is a violation, else `compliant`.
        public var verdict: String { hasViolation ? "non-compliant" : "compliant" }
        public var hasViolation: Bool { held.contains { $0.status == "violation" } }
        /// What a person calls the host: its name, else the machine id, else the identity.
        public var displayName: String { hostname ?? machineID ?? key.identity }
    }

    /// One product across the fleet.
    public struct Product: Sendable {
        public struct Holder: Sendable {
            public var host: String
            public var machineID: String?
            public var root: String
            public var status: String
            public var firstSeen: Date
        }

        public var findingID: String
        public var vendor: String
        public var vendorName: String?
        public var product: String
        public var productName: String?
        public var holders: [Holder]
        public var byStatus: [String: Int]
        public var firstSeen: Date?
    }

    /// A journal file that could not be read (the report goes on with the others).
    public struct SourceProblem: Sendable, Hashable {
        public var file: String
        public var message: String

        public init(file: String, message: String) {
            self.file = file
            self.message = message
        }
    }

    /// A directory given on the command line and what was read below it.
    public struct Source: Sendable, Hashable {
        public var directory: String
        public var files: Int
        public var entries: Int

        public init(directory: String, files: Int, entries: Int) {
            self.directory = directory
            self.files = files
            self.entries = entries
        }
    }

    public var toolVersion: String
    public var generatedAt: Date
    /// Entries after this instant were left out (nil: every entry).
    public var asOf: Date?
    public var sources: [Source]
    public var problems: [SourceProblem]
    public var hosts: [Host]
    public var products: [Product]

    public var hasViolation: Bool { hosts.contains(where: \.hasViolation) }
    public var heldFindings: Int { hosts.reduce(0) { $0 + $1.held.count } }

    /// Held findings per status, across the fleet.
    public var findingsByStatus: [String: Int] {
        var counts: [String: Int] = [:]
        for host in hosts { for finding in host.held { counts[finding.status, default: 0] += 1 } }
        return counts
    }
}
