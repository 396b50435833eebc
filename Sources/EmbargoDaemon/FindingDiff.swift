import EmbargoEvaluation
import EmbargoInventory
import EmbargoJournal
import EmbargoStore
import Foundation

/// One change worth a journal entry.
public enum FindingEvent: Sendable, Hashable {
    case found(Finding)
    case changed(Finding, previous: Finding)
    case resolved(previous: Finding, firstSeen: Date)
    case waiverExpired(Finding, previous: Finding)
    case upcoming(Finding, phase: PhaseAssessment, days: Int)

    public var findingID: String {
        switch self {
        case .found(let finding), .changed(let finding, _), .waiverExpired(let finding, _), .upcoming(let finding, _, _):
            return finding.id
        case .resolved(let previous, _): return previous.id
        }
    }

    public var journalEvent: JournalEvent {
        switch self {
        case .found: return .findingFound
        case .changed: return .findingChanged
        case .resolved: return .findingResolved
        case .waiverExpired: return .waiverExpired
        case .upcoming: return .phaseUpcoming
        }
    }
}

/// The outcome of comparing one evaluation with the stored state.
public struct FindingChanges: Sendable {
    public var events: [FindingEvent] = []
    /// New state of every finding the evaluation touched.
    public var tracked: [TrackedFinding] = []
    public var history: [FindingHistoryEntry] = []

    public var foundCount: Int { events.filter { if case .found = $0 { return true } else { return false } }.count }
    public var changedCount: Int {
        events.filter {
            switch $0 {
            case .changed, .waiverExpired: return true
            default: return false
            }
        }.count
    }
    public var resolvedCount: Int { events.filter { if case .resolved = $0 { return true } else { return false } }.count }
}

/// Differential logging, osquery's model: a finding is logged when it appears, when its status,
/// phase in effect, severity or package versions change, and when it is resolved; never just
/// because another scan saw it again. Pure: state and findings in, events and new state out.
public enum FindingDiff {
    /// What identifies a finding's position: a change in any part is logged.
    public struct Fingerprint: Hashable, Sendable {
        var status: FindingStatus
        var severity: String
        var phase: String?
        var packages: [String]

        public init(_ finding: Finding) {
            status = finding.status
            severity = finding.severity.rawValue
            phase = JournalEntries.phaseKey(finding)
            packages = JournalEntries.packageVersions(finding)
        }
    }

    public static func compare(
        previous: [TrackedFinding], current: [Finding], scanID: String, at instant: Date, reminderDays: [Int]
    ) -> FindingChanges {
        var changes = FindingChanges()
        let previousByID = Dictionary(previous.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let currentIDs = Set(current.map(\.id))

        for finding in current {
            let before = previousByID[finding.id]
            var state = TrackedFinding(
                finding: finding, firstSeen: before?.firstSeen ?? instant, lastSeen: instant, resolvedAt: nil,
                lastScanID: scanID, reminders: before?.reminders ?? [])
            let isNew = before == nil || before?.isOpen == false
            if isNew {
                changes.events.append(.found(finding))
                changes.history.append(
                    history(finding.id, scanID, instant, .findingFound, old: nil, new: finding))
            } else if let before, Fingerprint(before.finding) != Fingerprint(finding) {
                let waiverExpired =
                    before.finding.status == .waived && finding.status != .waived && finding.waiver?.expired == true
                let event: FindingEvent =
                    waiverExpired ? .waiverExpired(finding, previous: before.finding) : .changed(finding, previous: before.finding)
                changes.events.append(event)
                changes.history.append(
                    history(finding.id, scanID, instant, event.journalEvent, old: before.finding, new: finding))
            }
            // Reminders: the thresholds crossed and not yet covered give one entry; a new finding's
            // found entry already states the days left, so its crossed thresholds are just marked.
            for (phase, days, thresholds) in dueReminders(finding, reminded: state.reminders, at: instant, reminderDays: reminderDays) {
                let key = "\(phase.restriction)/\(phase.phase)"
                for threshold in thresholds { state.reminders.insert("\(key)@\(threshold)") }
                if !isNew {
                    changes.events.append(.upcoming(finding, phase: phase, days: days))
                    var entry = history(finding.id, scanID, instant, .phaseUpcoming, old: nil, new: finding)
                    entry.newPhase = key
                    entry.detail = "\(days) day(s) before \(phase.effective)"
                    changes.history.append(entry)
                }
            }
            changes.tracked.append(state)
        }

        for before in previous where before.isOpen && !currentIDs.contains(before.id) {
            changes.events.append(.resolved(previous: before.finding, firstSeen: before.firstSeen))
            var entry = history(before.id, scanID, instant, .findingResolved, old: before.finding, new: nil)
            entry.newStatus = "resolved"
            changes.history.append(entry)
            var state = before
            state.resolvedAt = instant
            state.lastScanID = scanID
            changes.tracked.append(state)
        }
        return changes
    }

    /// Upcoming prohibiting phases of a finding whose reminder thresholds have been crossed and
    /// not yet covered: (phase, whole days left, thresholds crossed).
    static func dueReminders(
        _ finding: Finding, reminded: Set<String>, at instant: Date, reminderDays: [Int]
    ) -> [(PhaseAssessment, Int, [Int])] {
        var result: [(PhaseAssessment, Int, [Int])] = []
        for phase in finding.phases where phase.violation && !phase.inEffect {
            guard let effective = try? RFC3339.parse(phase.effective), effective > instant else { continue }
            let days = Int((effective.timeIntervalSince(instant) / 86_400).rounded(.up))
            let key = "\(phase.restriction)/\(phase.phase)"
            let crossed = reminderDays.filter { days <= $0 && !reminded.contains("\(key)@\($0)") }
            if !crossed.isEmpty { result.append((phase, days, crossed)) }
        }
        return result
    }

    static func history(
        _ id: String, _ scanID: String, _ instant: Date, _ event: JournalEvent, old: Finding?, new: Finding?
    ) -> FindingHistoryEntry {
        var detail: String?
        if let old, let new {
            let before = JournalEntries.packageVersions(old)
            let after = JournalEntries.packageVersions(new)
            if before != after { detail = "packages \(before.joined(separator: ", ")) → \(after.joined(separator: ", "))" }
        }
        return FindingHistoryEntry(
            findingID: id, scanID: scanID, at: instant, event: event.rawValue, oldStatus: old?.status.rawValue,
            newStatus: new?.status.rawValue, oldPhase: old.flatMap(JournalEntries.phaseKey),
            newPhase: new.flatMap(JournalEntries.phaseKey), oldSeverity: old?.severity.rawValue,
            newSeverity: new?.severity.rawValue, detail: detail)
    }
}

/// When the findings change without anything on the host changing: a phase takes effect, a
/// reminder threshold is crossed, a waiver expires. The daemon sleeps until the earliest.
public enum EvaluationSchedule {
    public struct Wake: Sendable, Hashable {
        public var instant: Date
        public var reason: String
    }

    /// - Parameters:
    ///   - waivers: the waivers in force; one that covers an open finding wakes the daemon when it
    ///     takes effect (`created`) and when it expires.
    ///   - hostName: the host name waivers are scoped to.
    public static func next(
        after instant: Date, findings: [TrackedFinding], reminderDays: [Int], waivers: [Waiver] = [], hostName: String? = nil
    ) -> Wake? {
        var candidates: [Wake] = []
        for waiver in waivers {
            guard let finding = findings.first(where: { $0.isOpen && waiver.covers($0.finding, hostName: hostName) })?.finding else {
                continue
            }
            if let created = waiver.created, created > instant {
                candidates.append(Wake(instant: created, reason: "waiver \(waiver.id) of \(finding.id) takes effect"))
            }
            if waiver.expires > instant {
                candidates.append(Wake(instant: waiver.expires, reason: "waiver \(waiver.id) of \(finding.id) expires"))
            }
        }
        for state in findings where state.isOpen {
            let finding = state.finding
            for phase in finding.phases {
                guard let effective = try? RFC3339.parse(phase.effective), effective > instant else { continue }
                let key = "\(phase.restriction)/\(phase.phase)"
                candidates.append(Wake(instant: effective, reason: "\(key) takes effect for \(finding.id)"))
                guard phase.violation else { continue }
                for days in reminderDays where !state.reminders.contains("\(key)@\(days)") {
                    let reminder = effective.addingTimeInterval(-Double(days) * 86_400)
                    if reminder > instant {
                        candidates.append(Wake(instant: reminder, reason: "\(days)-day reminder of \(key) for \(finding.id)"))
                    }
                }
            }
            if let waiver = finding.waiver, !waiver.expired, let expires = try? RFC3339.parse(waiver.expires), expires > instant {
                candidates.append(Wake(instant: expires, reason: "waiver \(waiver.id) of \(finding.id) expires"))
            }
        }
        return candidates.min { $0.instant < $1.instant }
    }
}
