import Foundation

/// Which finding entries to read back.
public struct FindingQuery: Sendable, Hashable {
    public var vendors: [String]
    /// Finding statuses (`violation`, `upcoming`, ...) or `resolved`.
    public var statuses: [String]
    public var products: [String]
    public var since: Date?
    public var until: Date?
    public var events: [JournalEvent]

    public init(
        vendors: [String] = [], statuses: [String] = [], products: [String] = [], since: Date? = nil, until: Date? = nil,
        events: [JournalEvent] = JournalEvent.findingEvents
    ) {
        self.vendors = vendors
        self.statuses = statuses
        self.products = products
        self.since = since
        self.until = until
        self.events = events
    }
}

/// A finding entry as read back from the journal.
public struct FindingLogEntry: Sendable, Hashable, Codable {
    /// When journald received it (RFC 3339, UTC).
    public var time: String
    public var event: String
    public var messageID: String
    public var priority: Int?
    public var message: String
    public var findingID: String?
    public var vendor: String?
    public var product: String?
    public var productName: String?
    public var status: String?
    public var previousStatus: String?
    public var severity: String?
    public var confidence: String?
    public var phase: String?
    public var effective: String?
    public var daysUntil: Int?
    public var packages: [String]
    public var versions: [String]
    public var packageIDs: [String]
    public var evidence: [String]
    public var installedAt: String?
    public var installedAtSource: String?
    public var updatedAt: String?
    public var remediation: String?
    public var policyID: String?
    public var policySHA256: String?
    public var scanID: String?
    public var profile: String?
    public var root: String?
    public var hostname: String?
    public var cursor: String?

    init(_ record: JournalRecord, event: JournalEvent) {
        time = Self.format(record.realtime)
        self.event = event.rawValue
        messageID = event.messageID
        priority = record.value("PRIORITY").flatMap { Int($0) }
        message = record.value("MESSAGE") ?? ""
        findingID = record.value(EmbargoField.findingID)
        vendor = record.value(EmbargoField.vendor)
        product = record.value(EmbargoField.product)
        productName = record.value(EmbargoField.productName)
        status = record.value(EmbargoField.status)
        previousStatus = record.value(EmbargoField.previousStatus)
        severity = record.value(EmbargoField.severity)
        confidence = record.value(EmbargoField.confidence)
        phase = record.value(EmbargoField.phase)
        effective = record.value(EmbargoField.effective)
        daysUntil = record.value(EmbargoField.daysUntil).flatMap { Int($0) }
        packages = record.values(EmbargoField.package).sorted()
        versions = record.values(EmbargoField.version).sorted()
        packageIDs = record.values(EmbargoField.packageID).sorted()
        evidence = record.values(EmbargoField.evidence).sorted()
        installedAt = record.value(EmbargoField.installedAt)
        installedAtSource = record.value(EmbargoField.installedAtSource)
        updatedAt = record.value(EmbargoField.updatedAt)
        remediation = record.value(EmbargoField.remediation)
        policyID = record.value(EmbargoField.policyID)
        policySHA256 = record.value(EmbargoField.policySHA256)
        scanID = record.value(EmbargoField.scanID)
        profile = record.value(EmbargoField.profile)
        root = record.value(EmbargoField.root)
        hostname = record.value("_HOSTNAME")
        cursor = record.cursor
    }

    static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0,
            parts.minute ?? 0, parts.second ?? 0)
    }
}

/// Reads finding entries back from a journal: the integration API is `MESSAGE_ID` plus the
/// `EMBARGO_*` fields, so this is what `embargo findings` and the tests use.
public enum FindingLog {
    /// Entries matching the query, oldest first, at most `limit`.
    public static func read(_ source: JournalSource, query: FindingQuery, limit: Int = 100_000) throws(JournalReadError)
        -> [FindingLogEntry]
    {
        let reader = try JournalReader(source)
        // (MESSAGE_ID=a OR MESSAGE_ID=b ...) AND (vendor=x OR ...) AND (status=y OR ...):
        // matches on one field are ORed, different fields ANDed.
        for event in query.events { try reader.addMatch("MESSAGE_ID", event.messageID) }
        for vendor in query.vendors { try reader.addMatch(EmbargoField.vendor, vendor) }
        for status in query.statuses { try reader.addMatch(EmbargoField.status, status) }
        for product in query.products { try reader.addMatch(EmbargoField.product, product) }
        if let since = query.since { try reader.seek(toRealtime: since) }
        var entries: [FindingLogEntry] = []
        while entries.count < limit, let record = try reader.next() {
            if let since = query.since, record.realtime < since { continue }
            if let until = query.until, record.realtime > until { continue }
            guard let messageID = record.value("MESSAGE_ID"), let event = JournalEvent(messageID: messageID) else { continue }
            entries.append(FindingLogEntry(record, event: event))
        }
        return entries
    }

    /// Every entry with one of embargod's `MESSAGE_ID`s (any event class), oldest first.
    public static func records(_ source: JournalSource, events: [JournalEvent] = JournalEvent.allCases) throws(JournalReadError)
        -> [(JournalEvent, JournalRecord)]
    {
        let reader = try JournalReader(source)
        for event in events { try reader.addMatch("MESSAGE_ID", event.messageID) }
        var result: [(JournalEvent, JournalRecord)] = []
        while let record = try reader.next() {
            guard let messageID = record.value("MESSAGE_ID"), let event = JournalEvent(messageID: messageID) else { continue }
            result.append((event, record))
        }
        return result
    }
}
