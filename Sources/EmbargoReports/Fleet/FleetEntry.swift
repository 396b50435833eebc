import Foundation

/// Which host an entry came from: the machine that logged it (`_MACHINE_ID`, else `_HOSTNAME`,
/// else the journal file) and the root its embargod watched (`EMBARGO_ROOT`).
public struct FleetHostKey: Sendable, Hashable, Comparable {
    /// `machine:<id>`, `hostname:<name>` or `file:<name>`.
    public var identity: String
    public var root: String

    public init(identity: String, root: String) {
        self.identity = identity
        self.root = root
    }

    public static func < (lhs: FleetHostKey, rhs: FleetHostKey) -> Bool {
        (lhs.identity, lhs.root) < (rhs.identity, rhs.root)
    }
}

/// One embargod journal entry of any host, reduced to what the fleet report replays. Built from
/// the `MESSAGE_ID` and `EMBARGO_*` fields (see docs/journal.md); the reader of the journal files
/// lives with the command, so this part stays pure.
public struct FleetEntry: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case findingFound = "finding-found"
        case findingChanged = "finding-changed"
        case findingResolved = "finding-resolved"
        case phaseUpcoming = "phase-upcoming"
        case waiverExpired = "waiver-expired"
        case scanCompleted = "scan-completed"
        case scanError = "scan-error"

        public var isFindingEvent: Bool {
            switch self {
            case .findingFound, .findingChanged, .findingResolved, .phaseUpcoming, .waiverExpired: return true
            case .scanCompleted, .scanError: return false
            }
        }
    }

    public var kind: Kind
    /// When the event happened: `EMBARGO_OCCURRED_AT` for an entry that waited for the journal,
    /// else when journald received it.
    public var time: Date
    public var host: FleetHostKey
    public var hostname: String?
    public var machineID: String?
    /// Position in its file, to keep the file's order among entries of the same instant.
    public var sequence: Int

    public var findingID: String?
    public var vendor: String?
    public var vendorName: String?
    public var product: String?
    public var productName: String?
    public var status: String?
    public var severity: String?
    public var confidence: String?
    public var phase: String?
    public var effective: String?
    /// `type:name:arch@version` of each package evidence item.
    public var packageIDs: [String] = []
    public var installedAt: String?
    public var waiverID: String?
    public var waiverExpires: String?
    /// On resolution entries: when embargod first saw the finding.
    public var firstSeen: String?

    public var scanID: String?
    public var policyID: String?
    public var policyVersion: String?
    public var profile: String?
    public var verdict: String?
    public var findingCount: Int?
    public var errorCount: Int?
    public var message: String?

    public init(kind: Kind, time: Date, host: FleetHostKey, hostname: String?, machineID: String?, sequence: Int) {
        self.kind = kind
        self.time = time
        self.host = host
        self.hostname = hostname
        self.machineID = machineID
        self.sequence = sequence
    }
}
