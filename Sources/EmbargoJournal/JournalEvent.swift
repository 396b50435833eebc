/// The classes of events embargod writes, each with a fixed `MESSAGE_ID` (made once with
/// `systemd-id128 new`; never change one: users filter on them and the catalog explains them).
public enum JournalEvent: String, Sendable, CaseIterable, Codable {
    case scanStarted = "scan-started"
    case scanCompleted = "scan-completed"
    /// A finding appeared (restricted software found).
    case findingFound = "finding-found"
    /// A finding's status, phase in effect, severity or package versions changed.
    case findingChanged = "finding-changed"
    /// A finding is gone from the host.
    case findingResolved = "finding-resolved"
    /// A prohibiting phase takes effect in N days for software on the host.
    case phaseUpcoming = "phase-upcoming"
    case waiverExpired = "waiver-expired"
    case policyLoaded = "policy-loaded"
    case policyRejected = "policy-rejected"
    case scanError = "scan-error"
    /// The configuration file was invalid on reload; the previous one stays in force.
    case configurationRejected = "configuration-rejected"

    public var messageID: String {
        switch self {
        case .scanStarted: return "87a075aa074e47568ca0b83a3291df73"
        case .scanCompleted: return "5492dfabbd58454fb643abf44d895f67"
        case .findingFound: return "936839e45a4d46f3b725987c4cda2844"
        case .findingChanged: return "91daa8ec3ab0434fa0d7c351c9766884"
        case .findingResolved: return "fb15d138b9f04935b5e1d7911eecff12"
        case .phaseUpcoming: return "1c8e80250b744b539cc5e6d4291fe389"
        case .waiverExpired: return "3940e3eb97b84ab083e5f03d7042fcd3"
        case .policyLoaded: return "9115592833fa45398ecefe0f72364b49"
        case .policyRejected: return "4dec2d2de0fb403bbfb8ba9ed9b60068"
        case .scanError: return "d2e44a08ea1f4304a64649a3e44b96bf"
        case .configurationRejected: return "86f561f527474d0298e82e1320bc75d8"
        }
    }

    public init?(messageID: String) {
        guard let event = Self.allCases.first(where: { $0.messageID == messageID }) else { return nil }
        self = event
    }

    /// Events about one finding (what `embargo findings` reads).
    public static let findingEvents: [JournalEvent] = [
        .findingFound, .findingChanged, .findingResolved, .phaseUpcoming, .waiverExpired,
    ]
}

/// syslog priorities (`PRIORITY=`), as journald and `journalctl -p` use them.
public enum JournalPriority: Int, Sendable, Comparable, Codable {
    case emergency = 0
    case alert = 1
    case critical = 2
    case error = 3
    case warning = 4
    case notice = 5
    case info = 6
    case debug = 7

    public static func < (lhs: JournalPriority, rhs: JournalPriority) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The field names embargod writes, beside `MESSAGE`, `MESSAGE_ID`, `PRIORITY` and
/// `SYSLOG_IDENTIFIER`. Every name matches `[A-Z0-9_]+`.
public enum EmbargoField {
    public static let event = "EMBARGO_EVENT"
    public static let findingID = "EMBARGO_FINDING_ID"
    public static let vendor = "EMBARGO_VENDOR"
    public static let vendorName = "EMBARGO_VENDOR_NAME"
    public static let product = "EMBARGO_PRODUCT"
    public static let productName = "EMBARGO_PRODUCT_NAME"
    public static let status = "EMBARGO_STATUS"
    public static let previousStatus = "EMBARGO_PREVIOUS_STATUS"
    public static let severity = "EMBARGO_SEVERITY"
    public static let previousSeverity = "EMBARGO_PREVIOUS_SEVERITY"
    public static let confidence = "EMBARGO_CONFIDENCE"
    /// `restriction/phase` of the phase in effect (or the next one for `upcoming`).
    public static let phase = "EMBARGO_PHASE"
    public static let previousPhase = "EMBARGO_PREVIOUS_PHASE"
    public static let phaseTitle = "EMBARGO_PHASE_PROHIBITS"
    public static let authority = "EMBARGO_AUTHORITY"
    /// RFC 3339 instant the phase takes (took) effect.
    public static let effective = "EMBARGO_EFFECTIVE"
    public static let daysUntil = "EMBARGO_DAYS_UNTIL"
    public static let citation = "EMBARGO_CITATION"
    /// One per evidence item: `kind locator (identifier kind=value, strength)`.
    public static let evidence = "EMBARGO_EVIDENCE"
    /// One per package evidence item: the package name.
    public static let package = "EMBARGO_PACKAGE"
    /// One per package evidence item: its full version. Pair names and versions with
    /// ``packageID``: the journal does not keep the order of repeated fields.
    public static let version = "EMBARGO_VERSION"
    /// One per package evidence item: `type:name:arch@version` (``PackageID``).
    public static let packageID = "EMBARGO_PACKAGE_ID"
    public static let previousVersion = "EMBARGO_PREVIOUS_VERSION"
    public static let installedAt = "EMBARGO_INSTALLED_AT"
    public static let installedAtSource = "EMBARGO_INSTALLED_AT_SOURCE"
    public static let updatedAt = "EMBARGO_UPDATED_AT"
    public static let installedAfterPhase = "EMBARGO_INSTALLED_AFTER_PHASE"
    public static let updatedAfterPhase = "EMBARGO_UPDATED_AFTER_PHASE"
    public static let remediation = "EMBARGO_REMEDIATION"
    public static let waiverID = "EMBARGO_WAIVER_ID"
    public static let waiverExpires = "EMBARGO_WAIVER_EXPIRES"
    public static let firstSeen = "EMBARGO_FIRST_SEEN"
    public static let policyID = "EMBARGO_POLICY_ID"
    public static let policyVersion = "EMBARGO_POLICY_VERSION"
    public static let policySHA256 = "EMBARGO_POLICY_SHA256"
    /// One per policy file: `id version sha256 path`.
    public static let policyFile = "EMBARGO_POLICY_FILE"
    /// One per problem of a rejected policy or configuration: `file:line:column: message`.
    public static let problem = "EMBARGO_PROBLEM"
    public static let profile = "EMBARGO_PROFILE"
    public static let root = "EMBARGO_ROOT"
    public static let scanID = "EMBARGO_SCAN_ID"
    /// `scan` (the root was read) or `reevaluation` (the stored inventory was judged again).
    public static let scanKind = "EMBARGO_SCAN_KIND"
    /// What started the scan: `start`, `periodic`, `package-database`, `phase`, `reload`, `once`.
    public static let trigger = "EMBARGO_TRIGGER"
    public static let asOf = "EMBARGO_AS_OF"
    public static let findings = "EMBARGO_FINDINGS"
    public static let packages = "EMBARGO_PACKAGES"
    public static let verdict = "EMBARGO_VERDICT"
    public static let errors = "EMBARGO_ERRORS"
    public static let warnings = "EMBARGO_WARNINGS"
    public static let durationMilliseconds = "EMBARGO_DURATION_MS"
    public static let found = "EMBARGO_NEW"
    public static let changed = "EMBARGO_CHANGED"
    public static let resolved = "EMBARGO_RESOLVED"
    /// One per scan issue: `path:line: message [code]`.
    public static let issue = "EMBARGO_ISSUE"
    public static let error = "EMBARGO_ERROR"
    public static let configFile = "EMBARGO_CONFIG_FILE"
    /// When the event happened, if it was written later (an entry kept while the journal was down).
    public static let occurredAt = "EMBARGO_OCCURRED_AT"

    /// `EMBARGO_COUNT_VIOLATION`, ... : findings per status.
    public static func count(status: String) -> String {
        "EMBARGO_COUNT_" + status.uppercased().replacingOccurrences(of: "-", with: "_")
    }
}
