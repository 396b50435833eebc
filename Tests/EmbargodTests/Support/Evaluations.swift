import EmbargoEvaluation
import EmbargoInventory
import EmbargoPolicy
import Foundation
import TestSupport

/// Real findings for pure tests: the test policy loaded by the policy loader, inventories of
/// packages, judged by the evaluator.
enum Evaluations {
    static func policies(_ documents: [String] = [TestPolicies.kaspersky()]) throws -> PolicySet {
        let directory = try TemporaryDirectory(prefix: "embargo-policies")
        let paths = try documents.enumerated().map { try directory.write("policy\($0.offset).yaml", $0.element).path }
        return try PolicySet.load(paths: paths)
    }

    static func package(_ name: String = "kesl", version: String = "12.1.0.1297", installedAt: Date? = date("2024-06-01T00:00:00Z"))
        -> InstalledPackage
    {
        InstalledPackage(
            type: .deb, name: name, version: version, arch: "amd64", maintainer: "AO Kaspersky Lab <support@kaspersky.com>",
            status: "install ok installed", state: .installed, installedAt: installedAt.map { RecordedDate($0, source: .dpkgLog) },
            updatedAt: installedAt.map { RecordedDate($0, source: .dpkgLog) }, source: "/var/lib/dpkg/status")
    }

    static func findings(
        _ packages: [InstalledPackage], policies: PolicySet, asOf: Date, waivers: [Waiver] = []
    ) -> [Finding] {
        let profile = policies.defaultProfile ?? Profile(id: "us-commercial", title: "US commercial", isDefault: true)
        return Evaluator.evaluate(
            EvaluationInput(
                inventory: Inventory(root: "/", packages: packages), policies: policies, profile: profile, asOf: asOf,
                waivers: waivers, hostName: "test-host"))
    }

    static func date(_ text: String) -> Date {
        (try? RFC3339.parse(text)) ?? Date(timeIntervalSince1970: 0)
    }
}
