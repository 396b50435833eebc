import EmbargoDaemon
import EmbargoEvaluation
import EmbargoInventory
import EmbargoJournal
import EmbargoPolicy
import EmbargoStore
import Foundation
import TestSupport
import Testing

/// Differential logging on real evaluations: what is logged when, and what is not.
@Suite("differential logging")
struct FindingDiffTests {
    let policies: PolicySet

    init() throws {
        policies = try Evaluations.policies()
    }

    /// Runs the diff and returns the events and the new state merged into `state`.
    func step(_ state: inout [TrackedFinding], _ findings: [Finding], at: Date, reminderDays: [Int] = [30, 7, 1]) -> [FindingEvent] {
        let changes = FindingDiff.compare(previous: state, current: findings, scanID: UUID().uuidString, at: at, reminderDays: reminderDays)
        var byID = Dictionary(state.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        for tracked in changes.tracked { byID[tracked.id] = tracked }
        state = byID.values.sorted { $0.id < $1.id }
        return changes.events
    }

    @Test("appears → found; seen again → nothing; upgraded → changed; gone → resolved; back → found, first-seen kept")
    func lifecycle() {
        var state: [TrackedFinding] = []
        let asOf = Evaluations.date("2025-01-01T00:00:00Z")
        let first = step(&state, Evaluations.findings([Evaluations.package()], policies: policies, asOf: asOf), at: asOf)
        #expect(first.count == 1)
        guard case .found(let finding) = first.first else { Issue.record("expected found: \(first)"); return }
        #expect(finding.id == "kaspersky/kesl")
        #expect(finding.status == .violation)

        let again = step(&state, Evaluations.findings([Evaluations.package()], policies: policies, asOf: asOf), at: asOf.addingTimeInterval(3600))
        #expect(again.isEmpty, "a finding seen again is not logged again: \(again)")

        let upgraded = Evaluations.findings([Evaluations.package(version: "12.2.0.100")], policies: policies, asOf: asOf)
        let changed = step(&state, upgraded, at: asOf.addingTimeInterval(7200))
        guard case .changed(let now, let before) = changed.first, changed.count == 1 else {
            Issue.record("expected one change: \(changed)")
            return
        }
        #expect(JournalEntries.packageVersions(before) == ["kesl 12.1.0.1297"])
        #expect(JournalEntries.packageVersions(now) == ["kesl 12.2.0.100"])
        let entry = JournalEntries.changed(now, previous: before, context: Self.context)
        #expect(entry.value(EmbargoField.previousVersion) == "kesl 12.1.0.1297")
        #expect(entry.value("MESSAGE")?.contains("packages kesl 12.1.0.1297 → kesl 12.2.0.100") == true)

        let gone = step(&state, [], at: asOf.addingTimeInterval(10_800))
        guard case .resolved(let previous, let firstSeen) = gone.first, gone.count == 1 else {
            Issue.record("expected resolved: \(gone)")
            return
        }
        #expect(previous.id == "kaspersky/kesl")
        #expect(firstSeen == asOf)
        #expect(step(&state, [], at: asOf.addingTimeInterval(14_400)).isEmpty, "a resolved finding is not resolved again")

        let back = step(&state, Evaluations.findings([Evaluations.package()], policies: policies, asOf: asOf), at: asOf.addingTimeInterval(18_000))
        guard case .found = back.first, back.count == 1 else {
            Issue.record("expected found again: \(back)")
            return
        }
        #expect(state.first?.firstSeen == asOf, "first seen is the first time ever")
        #expect(state.first?.resolvedAt == nil)
    }

    @Test("a phase taking effect turns upcoming into violation: one change entry with the previous status")
    func phaseTakesEffect() {
        var state: [TrackedFinding] = []
        let before = Evaluations.date("2024-07-19T12:00:00Z")
        let after = Evaluations.date("2024-07-20T04:00:00Z")
        _ = step(&state, Evaluations.findings([Evaluations.package()], policies: policies, asOf: before), at: before)
        #expect(state.first?.finding.status == .upcoming)
        let events = step(&state, Evaluations.findings([Evaluations.package()], policies: policies, asOf: after), at: after)
        guard case .changed(let now, let previous) = events.first, events.count == 1 else {
            Issue.record("expected a change: \(events)")
            return
        }
        #expect(previous.status == .upcoming)
        #expect(now.status == .violation)
        #expect(JournalEntries.phaseKey(now) == "commerce/new-agreements")
        // Then the second phase: still a violation, but a new phase and severity.
        let later = Evaluations.date("2024-09-29T04:00:00Z")
        let second = step(&state, Evaluations.findings([Evaluations.package()], policies: policies, asOf: later), at: later)
        guard case .changed(let third, let secondBefore) = second.first, second.count == 1 else {
            Issue.record("expected a phase change: \(second)")
            return
        }
        #expect(secondBefore.status == .violation && third.status == .violation)
        #expect(third.severity == .critical)
        #expect(JournalEntries.phaseKey(third) == "commerce/updates")
    }

    @Test("reminders: one entry per crossed threshold; none for thresholds a found entry already covered")
    func reminders() {
        var state: [TrackedFinding] = []
        let effective = Evaluations.date("2024-07-20T04:00:00Z")
        let tenDaysBefore = effective.addingTimeInterval(-10 * 86_400)
        let first = step(&state, Evaluations.findings([Evaluations.package()], policies: policies, asOf: tenDaysBefore), at: tenDaysBefore)
        #expect(first.count == 1, "found only; its message gives the days left: \(first)")
        #expect(state.first?.reminders == ["commerce/new-agreements@30"])

        let sevenDays = effective.addingTimeInterval(-7 * 86_400)
        let week = step(&state, Evaluations.findings([Evaluations.package()], policies: policies, asOf: sevenDays), at: sevenDays)
        guard case .upcoming(_, let phase, let days) = week.first, week.count == 1 else {
            Issue.record("expected one reminder: \(week)")
            return
        }
        #expect(phase.phase == "new-agreements")
        #expect(days == 7)
        let entry = JournalEntries.upcoming(state[0].finding, phase: phase, days: days, context: Self.context)
        #expect(entry.value("MESSAGE_ID") == JournalEvent.phaseUpcoming.messageID)
        #expect(entry.value(EmbargoField.daysUntil) == "7")
        #expect(entry.value(EmbargoField.phase) == "commerce/new-agreements")

        let sameDay = sevenDays.addingTimeInterval(3600)
        #expect(step(&state, Evaluations.findings([Evaluations.package()], policies: policies, asOf: sameDay), at: sameDay).isEmpty)

        let lastDay = effective.addingTimeInterval(-12 * 3600)
        let last = step(&state, Evaluations.findings([Evaluations.package()], policies: policies, asOf: lastDay), at: lastDay)
        guard case .upcoming(_, _, let lastDays) = last.first, last.count == 1 else {
            Issue.record("expected the last reminder: \(last)")
            return
        }
        #expect(lastDays == 1)
    }

    @Test("a waiver that expires turns waived into violation, logged as waiver-expired")
    func waiverExpires() {
        var state: [TrackedFinding] = []
        let expires = Evaluations.date("2025-03-01T00:00:00Z")
        let waiver = Waiver(id: "W-1", vendor: "kaspersky", reason: "migration in progress", approver: "ciso", expires: expires)
        let before = expires.addingTimeInterval(-3600)
        _ = step(&state, Evaluations.findings([Evaluations.package()], policies: policies, asOf: before, waivers: [waiver]), at: before)
        #expect(state.first?.finding.status == .waived)
        // The schedule wakes the daemon at the expiry.
        let wake = EvaluationSchedule.next(after: before, findings: state, reminderDays: [30, 7, 1])
        #expect(wake?.instant == expires)
        #expect(wake?.reason.contains("W-1") == true)

        let after = expires.addingTimeInterval(1)
        let events = step(&state, Evaluations.findings([Evaluations.package()], policies: policies, asOf: after, waivers: [waiver]), at: after)
        guard case .waiverExpired(let finding, let previous) = events.first, events.count == 1 else {
            Issue.record("expected waiver-expired: \(events)")
            return
        }
        #expect(previous.status == .waived)
        #expect(finding.status == .violation)
        let entry = JournalEntries.waiverExpired(finding, context: Self.context)
        #expect(entry.value(EmbargoField.waiverID) == "W-1")
        #expect(entry.value(EmbargoField.waiverExpires) == "2025-03-01T00:00:00Z")
        #expect(entry.value("MESSAGE_ID") == JournalEvent.waiverExpired.messageID)
    }

    @Test("the schedule: the next phase instant, and reminder instants not yet covered")
    func schedule() {
        var state: [TrackedFinding] = []
        let asOf = Evaluations.date("2024-06-01T00:00:00Z")
        _ = step(&state, Evaluations.findings([Evaluations.package()], policies: policies, asOf: asOf), at: asOf)
        let effective = Evaluations.date("2024-07-20T04:00:00Z")
        let first = EvaluationSchedule.next(after: asOf, findings: state, reminderDays: [30, 7, 1])
        #expect(first?.instant == effective.addingTimeInterval(-30 * 86_400), "\(String(describing: first))")
        state[0].reminders = ["commerce/new-agreements@30", "commerce/new-agreements@7", "commerce/new-agreements@1"]
        let next = EvaluationSchedule.next(after: asOf, findings: state, reminderDays: [30, 7, 1])
        #expect(next?.instant == effective)
        // Past every phase, nothing is scheduled: the daemon sleeps until the periodic scan.
        #expect(EvaluationSchedule.next(after: Evaluations.date("2030-01-01T00:00:00Z"), findings: state, reminderDays: [30, 7, 1]) == nil)
        // Resolved findings schedule nothing.
        state[0].resolvedAt = asOf
        #expect(EvaluationSchedule.next(after: asOf, findings: state, reminderDays: [30]) == nil)
    }

    static let context = ScanContext(
        scanID: "00000000-0000-0000-0000-000000000000", kind: "scan", trigger: "test", root: "/", profileID: "us-commercial",
        policyID: "test-kaspersky", policyVersion: "1", policySHA256: String(repeating: "0", count: 64), asOf: Date())
}
