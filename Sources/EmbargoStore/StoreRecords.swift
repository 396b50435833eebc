import EmbargoEvaluation
import Foundation

/// Whether the root was read, or the last inventory was judged again (at a phase instant, after
/// a policy change that needs no new collection).
public enum ScanKind: String, Sendable, Codable, Hashable {
    case scan
    case reevaluation
}

/// One completed scan or re-evaluation, as listed by `embargo history`.
public struct ScanRecord: Sendable, Hashable, Codable {
    public var id: String
    public var kind: ScanKind
    /// What started it: `start`, `periodic`, `package-database`, `phase`, `reload`, `once`.
    public var trigger: String
    public var startedAt: Date
    public var finishedAt: Date
    /// The instant findings were judged at.
    public var asOf: Date
    public var root: String
    public var profile: String
    public var policyID: String
    public var policyVersion: String
    public var policySHA256: String
    /// The scan whose inventory was judged (the record's own id for a scan).
    public var inventoryScanID: String
    public var packageCount: Int
    public var findingCount: Int
    /// Findings per status (every status present, zero included).
    public var countsByStatus: [String: Int]
    public var errorCount: Int
    public var warningCount: Int
    /// Differential counts against the state before this scan.
    public var foundCount: Int
    public var changedCount: Int
    public var resolvedCount: Int

    public init(
        id: String, kind: ScanKind, trigger: String, startedAt: Date, finishedAt: Date, asOf: Date, root: String,
        profile: String, policyID: String, policyVersion: String, policySHA256: String, inventoryScanID: String,
        packageCount: Int, findingCount: Int, countsByStatus: [String: Int], errorCount: Int, warningCount: Int,
        foundCount: Int, changedCount: Int, resolvedCount: Int
    ) {
        self.id = id
        self.kind = kind
        self.trigger = trigger
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.asOf = asOf
        self.root = root
        self.profile = profile
        self.policyID = policyID
        self.policyVersion = policyVersion
        self.policySHA256 = policySHA256
        self.inventoryScanID = inventoryScanID
        self.packageCount = packageCount
        self.findingCount = findingCount
        self.countsByStatus = countsByStatus
        self.errorCount = errorCount
        self.warningCount = warningCount
        self.foundCount = foundCount
        self.changedCount = changedCount
        self.resolvedCount = resolvedCount
    }

    public var violationCount: Int { countsByStatus[FindingStatus.violation.rawValue] ?? 0 }
}

/// The differential state of one finding across scans (osquery's model: logged when it appears,
/// changes or is resolved).
public struct TrackedFinding: Sendable, Hashable {
    /// `vendor/product`.
    public var id: String
    /// The finding as last seen (kept after it is resolved, for the resolution entry and history).
    public var finding: Finding
    public var firstSeen: Date
    public var lastSeen: Date
    /// When it was last found gone; nil while present.
    public var resolvedAt: Date?
    public var lastScanID: String
    /// Reminder thresholds already covered, as `restriction/phase@days` (by a reminder entry,
    /// or by the found entry that already gave the days left).
    public var reminders: Set<String>

    public init(
        finding: Finding, firstSeen: Date, lastSeen: Date, resolvedAt: Date? = nil, lastScanID: String,
        reminders: Set<String> = []
    ) {
        self.id = finding.id
        self.finding = finding
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.resolvedAt = resolvedAt
        self.lastScanID = lastScanID
        self.reminders = reminders
    }

    public var isOpen: Bool { resolvedAt == nil }
}

/// One line of a finding's status history.
public struct FindingHistoryEntry: Sendable, Hashable, Codable {
    /// Row id (0 until stored).
    public var id: Int64
    public var findingID: String
    public var scanID: String
    public var at: Date
    /// The journal event class (`finding-found`, `finding-changed`, `finding-resolved`,
    /// `phase-upcoming`, `waiver-expired`).
    public var event: String
    public var oldStatus: String?
    public var newStatus: String?
    public var oldPhase: String?
    public var newPhase: String?
    public var oldSeverity: String?
    public var newSeverity: String?
    /// Free text: the reminder key, the versions that changed, ...
    public var detail: String?

    public init(
        id: Int64 = 0, findingID: String, scanID: String, at: Date, event: String, oldStatus: String? = nil,
        newStatus: String? = nil, oldPhase: String? = nil, newPhase: String? = nil, oldSeverity: String? = nil,
        newSeverity: String? = nil, detail: String? = nil
    ) {
        self.id = id
        self.findingID = findingID
        self.scanID = scanID
        self.at = at
        self.event = event
        self.oldStatus = oldStatus
        self.newStatus = newStatus
        self.oldPhase = oldPhase
        self.newPhase = newPhase
        self.oldSeverity = oldSeverity
        self.newSeverity = newSeverity
        self.detail = detail
    }
}

/// A message waiting to be delivered (a journal entry, encoded by its producer). Stored in the
/// same transaction as the scan that produced it, deleted once delivered: a crash or a journal
/// that is down loses nothing.
public struct OutboxItem: Sendable, Hashable {
    public var id: Int64
    public var createdAt: Date
    public var payload: Data
}
