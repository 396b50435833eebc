import ArgumentParser
import EmbargoAudit
import EmbargoCollectors
import EmbargoPolicy
import EmbargoReports
import Foundation

extension Embargo {
    struct Scan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scan",
            abstract: "Scan a root for restricted software and report each finding with its evidence and dated status.",
            discussion: "Exit codes: 0 no violation, 1 at least one violation, 2 usage error or failed scan. Problems with single files are listed under errors and do not fail the scan."
        )

        @Option(help: ArgumentHelp("The root to scan: / for this machine, or a mounted image or container root.", valueName: "dir"))
        var root: String = "/"

        @OptionGroup var policy: PolicyOptions

        @Option(help: ArgumentHelp("Who the host belongs to; selects the restrictions that bind it (default: the policy's default profile, us-commercial).", valueName: "name"))
        var profile: String?

        @Option(
            name: .customLong("as-of"),
            help: ArgumentHelp("Judge findings at this instant: YYYY-MM-DD (midnight UTC) or RFC 3339 (default: now).", valueName: "date"))
        var asOf: String?

        @OptionGroup var walk: WalkOptions

        @OptionGroup var waivers: WaiverOptions

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let instant = try asOf.map(parseInstant)
            let policies: PolicySet
            do {
                policies = try policy.selection.load()
            } catch {
                throw error.fail()
            }
            let waiverSet = try waivers.load(policies: policies)
            let request = AuditRequest(
                root: root, policies: policies, profileID: profile, asOf: instant, options: walk.collectionOptions,
                waivers: waiverSet.evaluatorWaivers)
            let result: AuditResult
            do {
                result = try await Audit.run(request)
            } catch {
                throw error.fail()
            }
            switch output.format {
            case .text: try output.write(Data(TextReportRenderer.render(result.report).utf8))
            case .json: try output.write(try JSONReportRenderer.render(result.report))
            }
            throw (result.report.hasViolation ? ExitStatus.violation : ExitStatus.clean).exitCode
        }
    }
}

