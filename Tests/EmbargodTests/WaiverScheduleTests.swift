import EmbargoDaemon
import EmbargoEvaluation
import EmbargoPolicy
import EmbargoStore
import Foundation
import Testing

/// When embargod wakes for waivers: at the instant a waiver covering a finding on the host takes
/// effect or expires, and not for waivers that cover nothing there.
@Suite("waiver wake-ups")
struct WaiverScheduleTests {
    let policies: PolicySet

    init() throws {
        policies = try Evaluations.policies()
    }

    /// kesl as a violation after both phases, tracked as open.
    func tracked(at instant: Date) -> [TrackedFinding] {
        Evaluations.findings([Evaluations.package()], policies: policies, asOf: instant).map {
            TrackedFinding(finding: $0, firstSeen: instant, lastSeen: instant, lastScanID: "scan")
        }
    }

    @Test("a waiver not in force yet wakes the daemon when it takes effect, then when it expires")
    func createdThenExpires() throws {
        let now = Evaluations.date("2025-01-01T00:00:00Z")
        let waiver = Waiver(
            id: "W-2", vendor: "kaspersky", product: "kesl", host: "test-host", reason: "approved for February",
            created: Evaluations.date("2025-02-01T00:00:00Z"), expires: Evaluations.date("2025-03-01T00:00:00Z"))
        let state = tracked(at: now)
        #expect(state.first?.finding.status == .violation)
        let first = try #require(EvaluationSchedule.next(after: now, findings: state, reminderDays: [], waivers: [waiver], hostName: "test-host"))
        #expect(first.instant == waiver.created)
        #expect(first.reason == "waiver W-2 of kaspersky/kesl takes effect")
        let second = try #require(
            EvaluationSchedule.next(after: waiver.created!, findings: state, reminderDays: [], waivers: [waiver], hostName: "test-host"))
        #expect(second.instant == waiver.expires)
        #expect(second.reason == "waiver W-2 of kaspersky/kesl expires")
        #expect(EvaluationSchedule.next(after: waiver.expires, findings: state, reminderDays: [], waivers: [waiver], hostName: "test-host") == nil)
    }

    @Test("a waiver for another host, another product, or a resolved finding schedules nothing")
    func coversNothing() {
        let now = Evaluations.date("2025-01-01T00:00:00Z")
        let expires = Evaluations.date("2025-03-01T00:00:00Z")
        var state = tracked(at: now)
        let otherHost = Waiver(id: "H", host: "build-07", reason: "other host", expires: expires)
        let otherProduct = Waiver(id: "P", vendor: "kaspersky", product: "klnagent64", reason: "other product", expires: expires)
        #expect(EvaluationSchedule.next(after: now, findings: state, reminderDays: [], waivers: [otherHost, otherProduct], hostName: "test-host") == nil)
        let covering = Waiver(id: "C", vendor: "kaspersky", reason: "covers", expires: expires)
        #expect(EvaluationSchedule.next(after: now, findings: state, reminderDays: [], waivers: [covering], hostName: "test-host")?.instant == expires)
        state[0].resolvedAt = now
        #expect(EvaluationSchedule.next(after: now, findings: state, reminderDays: [], waivers: [covering], hostName: "test-host") == nil)
    }
}
