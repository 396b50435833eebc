import EmbargoEvaluation
import EmbargoInventory
import EmbargoPolicy
import Foundation

/// The report as a CycloneDX 1.6 JSON BOM (`--format cyclonedx`).
///
/// - `metadata.component` is the host (an `operating-system` component, `bom-ref` `host`); the
///   report's header facts are `metadata.properties` named `embargo:…`.
/// - Every package of the inventory is a `library` component (as syft writes OS packages) with a
///   package URL; files that are evidence are `file` components with their SHA-256.
/// - Every finding is a `vulnerabilities` entry: the product and its restriction, a rating with
///   the finding's severity, the citations with a URL as advisories, the remediation as the
///   recommendation, `affects` pointing at the package and file components that are its evidence
///   (or at the host), and `analysis.state` from the status: violation and remnant
///   `exploitable` (present and prohibited), waived `exploitable` with response `will_not_fix`
///   and the waiver as detail, suspected and upcoming `in_triage`, exempt and not-applicable
///   `not_affected`. The embargo status itself is the property `embargo:finding:status`.
public enum CycloneDXRenderer {
    public static func render(_ report: AuditReport, inventory: ReportInventory) -> JSONValue {
        var components: [JSONValue] = []
        var references = ReferenceAllocator()
        var packageReferences: [String: String] = [:]  // "type\0name" -> first bom-ref, for evidence
        let distro = report.host.osRelease
        var inventoryNote: String
        switch inventory {
        case .packages(let packages):
            inventoryNote = "full inventory"
            for package in packages.sorted(by: { $0.id < $1.id }) {
                let reference = references.allocate(package.id.description)
                packageReferences["\(package.type.rawValue)\u{0}\(package.name)", default: reference] = reference
                packageReferences[package.id.description, default: reference] = reference
                components.append(packageComponent(package, reference: reference, distro: distro))
            }
        case .identities(let identities):
            inventoryNote = "package list (identities only)"
            for id in identities.sorted() {
                let reference = references.allocate(id.description)
                packageReferences["\(id.type.rawValue)\u{0}\(id.name)", default: reference] = reference
                packageReferences[id.description, default: reference] = reference
                components.append(identityComponent(id, reference: reference, distro: distro))
            }
        case .unavailable(let reason):
            inventoryNote = "not available: \(reason)"
        }

        var fileReferences: [String: String] = [:]
        for finding in report.findings {
            for evidence in finding.evidence where evidence.kind == .file && fileReferences[evidence.locator] == nil {
                let reference = references.allocate("file:" + evidence.locator)
                fileReferences[evidence.locator] = reference
                var members: [String: JSONValue] = [
                    "type": .string("file"), "bom-ref": .string(reference), "name": .string(evidence.locator),
                ]
                if let digest = evidence.detail["sha256"], isSHA256(digest) {
                    members["hashes"] = .array([.object(["alg": .string("SHA-256"), "content": .string(digest.lowercased())])])
                }
                let facts = evidence.detail.filter { $0.key != "sha256" }.sorted { $0.key < $1.key }
                if !facts.isEmpty {
                    members["properties"] = .array(facts.map { property("embargo:file:\($0.key)", $0.value) })
                }
                components.append(.object(members))
            }
        }

        let vulnerabilities = report.findings.map { finding in
            vulnerability(finding, report: report, packageReferences: packageReferences, fileReferences: fileReferences)
        }

        var document: [String: JSONValue] = [
            "$schema": .string("http://cyclonedx.org/schema/bom-1.6.schema.json"),
            "bomFormat": .string("CycloneDX"),
            "specVersion": .string("1.6"),
            "version": .integer(1),
            "metadata": metadata(report, inventoryNote: inventoryNote),
            "components": .array(components),
            "vulnerabilities": .array(vulnerabilities),
        ]
        if let id = report.reportID { document["serialNumber"] = .string("urn:uuid:" + id) }
        return .object(document)
    }

    // MARK: - Metadata

    static func metadata(_ report: AuditReport, inventoryNote: String) -> JSONValue {
        var properties: [JSONValue] = []
        func add(_ name: String, _ value: String?) {
            if let value { properties.append(property(name, value)) }
        }
        add("embargo:report:id", report.reportID)
        add("embargo:report:schema", report.schema)
        add("embargo:report:generatedAt", report.generatedAt)
        add("embargo:report:verdict", report.summary.verdict)
        add("embargo:scan:id", report.scan.id)
        add("embargo:scan:kind", report.scan.kind)
        add("embargo:scan:trigger", report.scan.trigger)
        add("embargo:scan:inventoryScanId", report.scan.inventoryScanID)
        add("embargo:scan:startedAt", report.scan.startedAt)
        add("embargo:scan:finishedAt", report.scan.finishedAt)
        add("embargo:scan:durationSeconds", String(report.scan.durationSeconds))
        add("embargo:asOf", report.asOf)
        add("embargo:profile", report.profile.id)
        add("embargo:policy:id", report.policy.id)
        add("embargo:policy:version", report.policy.version)
        add("embargo:policy:sha256", report.policy.sha256)
        for file in report.policies {
            add("embargo:policy:file", "\(file.id) \(file.version) sha256:\(file.sha256) \(file.path)")
        }
        if let scope = report.scope {
            add("embargo:scope:root", scope.root)
            for collector in scope.collectors { add("embargo:scope:collector", collector) }
            add("embargo:scope:walk", scope.walk.enabled ? "yes" : "no")
            for path in scope.walk.paths { add("embargo:scope:walkPath", path) }
            for exclusion in scope.walk.exclusions { add("embargo:scope:exclusion", exclusion) }
            add("embargo:scope:crossFileSystems", scope.walk.crossFileSystems ? "yes" : "no")
        }
        for source in report.scan.sources {
            add("embargo:scope:source", "\(source.collector) \(source.path) (\(source.items) items)")
        }
        add("embargo:inventory", inventoryNote)
        for status in FindingStatus.allCases {
            add("embargo:summary:\(status.rawValue)", String(report.summary.byStatus[status.rawValue] ?? 0))
        }
        add("embargo:summary:errors", String(report.summary.errors))
        add("embargo:summary:warnings", String(report.summary.warnings))
        for issue in report.errors {
            add("embargo:scan:error", "\(issue.severity.rawValue) \(issue.code) \(issue.location.text): \(issue.message)")
        }
        for waiver in report.waivers {
            add("embargo:waiver", "\(waiver.id) \(waiver.state.rawValue) expires \(waiver.expires): \(waiver.reason)")
        }
        if let changes = report.changes {
            add("embargo:changes:baselineScanId", changes.from.id)
            add("embargo:changes:findings", "\(changes.findings.added.count) added, \(changes.findings.removed.count) removed, \(changes.findings.changed.count) changed")
            if changes.packages.compared {
                add("embargo:changes:packages", "\(changes.packages.added.count) added, \(changes.packages.removed.count) removed, \(changes.packages.changed.count) changed")
            }
        }
        add("embargo:report:sha256", report.reportSHA256)

        let host = report.host
        var hostProperties: [JSONValue] = []
        if let hostname = host.hostname { hostProperties.append(property("embargo:host:hostname", hostname)) }
        if let machineID = host.machineID { hostProperties.append(property("embargo:host:machineId", machineID)) }
        if let kernel = host.kernel { hostProperties.append(property("embargo:host:kernel", kernel)) }
        if let architecture = host.architecture { hostProperties.append(property("embargo:host:architecture", architecture)) }
        hostProperties.append(property("embargo:host:root", host.root))
        var hostComponent: [String: JSONValue] = [
            "type": .string("operating-system"), "bom-ref": .string("host"),
            "name": .string(host.osRelease?.id ?? host.hostname ?? "unknown"), "properties": .array(hostProperties),
        ]
        if let version = host.osRelease?.versionID { hostComponent["version"] = .string(version) }
        if let pretty = host.osRelease?.prettyName { hostComponent["description"] = .string(pretty) }

        var metadata: [String: JSONValue] = [
            "lifecycles": .array([.object(["phase": .string("operations")])]),
            "tools": .object([
                "components": .array([
                    .object([
                        "type": .string("application"), "name": .string(report.tool.name),
                        "version": .string(report.tool.version),
                    ])
                ])
            ]),
            "component": .object(hostComponent),
            "properties": .array(properties),
        ]
        if let timestamp = report.generatedAt { metadata["timestamp"] = .string(timestamp) }
        return .object(metadata)
    }

    // MARK: - Components

    static func packageComponent(_ package: InstalledPackage, reference: String, distro: OSRelease?) -> JSONValue {
        var members: [String: JSONValue] = [
            "type": .string("library"), "bom-ref": .string(reference), "name": .string(package.name),
            "version": .string(package.fullVersion),
        ]
        if let purl = PackageURL.make(package.id, epoch: package.epoch, distro: distro) { members["purl"] = .string(purl) }
        if let publisher = package.vendor ?? package.maintainer ?? package.packager ?? package.publisher {
            members["publisher"] = .string(publisher)
        }
        var properties: [JSONValue] = [property("embargo:package:type", package.type.rawValue)]
        if let arch = package.arch { properties.append(property("embargo:package:arch", arch)) }
        properties.append(property("embargo:package:state", package.state.rawValue))
        if let status = package.status { properties.append(property("embargo:package:status", status)) }
        if let installed = package.installedAt {
            properties.append(property("embargo:package:installedAt", RFC3339.format(installed.date)))
            properties.append(property("embargo:package:installedAtSource", installed.source.rawValue))
        }
        if let updated = package.updatedAt {
            properties.append(property("embargo:package:updatedAt", RFC3339.format(updated.date)))
            properties.append(property("embargo:package:updatedAtSource", updated.source.rawValue))
        }
        if let source = package.sourcePackage { properties.append(property("embargo:package:sourcePackage", source)) }
        properties.append(property("embargo:package:database", package.source))
        members["properties"] = .array(properties)
        return .object(members)
    }

    static func identityComponent(_ id: PackageID, reference: String, distro: OSRelease?) -> JSONValue {
        var members: [String: JSONValue] = [
            "type": .string("library"), "bom-ref": .string(reference), "name": .string(id.name), "version": .string(id.version),
        ]
        if let purl = PackageURL.make(id, epoch: nil, distro: distro) { members["purl"] = .string(purl) }
        var properties: [JSONValue] = [property("embargo:package:type", id.type.rawValue)]
        if let arch = id.arch { properties.append(property("embargo:package:arch", arch)) }
        members["properties"] = .array(properties)
        return .object(members)
    }

    // MARK: - Vulnerabilities

    static func vulnerability(
        _ finding: Finding, report: AuditReport, packageReferences: [String: String], fileReferences: [String: String]
    ) -> JSONValue {
        let phase = finding.phaseInEffect ?? finding.nextPhase
        var affects: [String] = []
        for evidence in finding.evidence {
            switch evidence.kind {
            case .package:
                let type = evidence.detail["type"] ?? "deb"
                let exact = PackageType(rawValue: type).flatMap { packageType in
                    evidence.detail["version"].map {
                        PackageID(type: packageType, name: evidence.locator, arch: evidence.detail["arch"], version: $0).description
                    }
                }
                if let exact, let reference = packageReferences[exact] {
                    affects.append(reference)
                } else if let reference = packageReferences["\(type)\u{0}\(evidence.locator)"] {
                    affects.append(reference)
                }
            case .file:
                if let reference = fileReferences[evidence.locator] { affects.append(reference) }
            default: break
            }
        }
        if affects.isEmpty { affects = ["host"] }
        var seen = Set<String>()
        affects = affects.filter { seen.insert($0).inserted }

        var description = "\(finding.productName) (\(finding.vendorName)) found: \(finding.status.rawValue)"
        if let phase { description += "; \(phase.restrictionTitle), \(phase.phase): \(phase.prohibits)" }
        var detailLines: [String] = []
        for assessment in finding.phases {
            detailLines.append(
                "\(assessment.restriction)/\(assessment.phase) (\(assessment.authority)): "
                    + "\(assessment.inEffect ? "in effect since" : "takes effect") \(assessment.effective); \(assessment.prohibits)")
        }
        for exemption in finding.exemptions {
            detailLines.append("exempt from \(exemption.restriction): \(exemption.reason)")
        }

        var properties: [JSONValue] = [
            property("embargo:finding:id", finding.id), property("embargo:finding:status", finding.status.rawValue),
            property("embargo:finding:confidence", finding.confidence.rawValue),
        ]
        if let installed = finding.installedAt {
            properties.append(property("embargo:finding:installedAt", RFC3339.format(installed)))
            if let source = finding.installedAtSource { properties.append(property("embargo:finding:installedAtSource", source)) }
        }
        if let updated = finding.updatedAt {
            properties.append(property("embargo:finding:updatedAt", RFC3339.format(updated)))
            if let source = finding.updatedAtSource { properties.append(property("embargo:finding:updatedAtSource", source)) }
        }
        if let phase {
            properties.append(property("embargo:finding:phase", "\(phase.restriction)/\(phase.phase)"))
            properties.append(property("embargo:finding:phaseEffective", phase.effective))
            if let after = phase.installedAfter { properties.append(property("embargo:finding:installedAfterPhase", after ? "yes" : "no")) }
            if let after = phase.updatedAfter { properties.append(property("embargo:finding:updatedAfterPhase", after ? "yes" : "no")) }
        }
        if let waiver = finding.waiver {
            properties.append(property("embargo:finding:waiver", "\(waiver.id) \(waiver.expired ? "expired" : "active") expires \(waiver.expires)"))
        }
        for evidence in finding.evidence {
            let facts = evidence.detail.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            properties.append(
                property(
                    "embargo:finding:evidence",
                    "\(evidence.kind.rawValue) \(evidence.locator) [\(evidence.identifier.kind)=\(evidence.identifier.value), \(evidence.identifier.strength)]"
                        + (facts.isEmpty ? "" : " " + facts)))
        }

        var analysis: [String: JSONValue] = ["state": .string(analysisState(finding.status))]
        if finding.status == .waived, let waiver = finding.waiver {
            analysis["response"] = .array([.string("will_not_fix")])
            analysis["detail"] = .string("waiver \(waiver.id) until \(waiver.expires): \(waiver.reason)")
        } else if finding.status == .exempt, let exemption = finding.exemptions.first {
            analysis["detail"] = .string("exempt from \(exemption.restriction): \(exemption.reason)")
        }

        let source = report.policyFile(definingIdentifierAt: finding.evidence.first?.identifier.definedAt ?? "")
        var members: [String: JSONValue] = [
            "bom-ref": .string("finding:" + finding.id),
            "id": .string("EMBARGO-" + finding.id.replacingOccurrences(of: "/", with: "-")),
            "source": .object([
                "name": .string(source.map { "embargo policy \($0.id) \($0.version)" } ?? "embargo policy \(report.policy.id) \(report.policy.version)")
            ]),
            "ratings": .array([
                .object([
                    "severity": .string(finding.severity.rawValue), "method": .string("other"),
                    "justification": .string(phase.map { "\($0.restriction)/\($0.phase)" } ?? finding.status.rawValue),
                ])
            ]),
            "description": .string(description),
            "analysis": .object(analysis),
            "affects": .array(affects.map { .object(["ref": .string($0)]) }),
            "properties": .array(properties),
        ]
        if !detailLines.isEmpty { members["detail"] = .string(detailLines.joined(separator: "\n")) }
        if !finding.remediation.isEmpty { members["recommendation"] = .string(finding.remediation.joined(separator: "\n")) }
        var advisories: [JSONValue] = []
        var seenURLs = Set<String>()
        for citation in (phase?.citations ?? []) + finding.phases.flatMap(\.citations) {
            guard let url = citation.url, seenURLs.insert(url).inserted else { continue }
            advisories.append(.object(["title": .string(citation.cite), "url": .string(url)]))
        }
        if !advisories.isEmpty { members["advisories"] = .array(advisories) }
        return .object(members)
    }

    static func analysisState(_ status: FindingStatus) -> String {
        switch status {
        case .violation, .remnant, .waived: return "exploitable"
        case .suspected, .upcoming: return "in_triage"
        case .exempt, .notApplicable: return "not_affected"
        }
    }

    static func property(_ name: String, _ value: String) -> JSONValue {
        .object(["name": .string(name), "value": .string(value)])
    }

    static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
    }
}

/// Unique `bom-ref` values (the schema wants them unique; two databases can list the same id).
struct ReferenceAllocator {
    private var used: [String: Int] = [:]

    mutating func allocate(_ base: String) -> String {
        guard let count = used[base] else {
            used[base] = 1
            return base
        }
        used[base] = count + 1
        return "\(base)#\(count + 1)"
    }
}

/// Package URLs (purl spec) for inventory packages, in the canonical form packageurl-python
/// writes: percent-encoded components, qualifiers sorted by key.
public enum PackageURL {
    public static func make(_ id: PackageID, epoch: Int?, distro: OSRelease?) -> String? {
        guard !id.name.isEmpty else { return nil }
        var version = id.version
        var qualifiers: [String: String] = [:]
        if let arch = id.arch, !arch.isEmpty { qualifiers["arch"] = arch }
        let namespace: String?
        let type: String
        switch id.type {
        case .deb:
            type = "deb"
            namespace = distro?.id ?? "debian"
        case .rpm, .alpm:
            type = id.type == .rpm ? "rpm" : "alpm"
            namespace = distro?.id ?? (id.type == .alpm ? "arch" : nil)
            // The inventory's full version is `epoch:version-release`; purl keeps the epoch apart.
            if let colon = version.firstIndex(of: ":"), let number = Int(version[..<colon]) {
                qualifiers["epoch"] = String(number)
                version = String(version[version.index(after: colon)...])
            } else if let epoch {
                qualifiers["epoch"] = String(epoch)
            }
        case .apk:
            type = "apk"
            namespace = distro?.id ?? "alpine"
        case .opkg, .snap, .flatpak:
            type = "generic"
            namespace = id.type.rawValue
        }
        if let distro, let distroID = distro.id, type != "generic" {
            qualifiers["distro"] = distro.versionID.map { "\(distroID)-\($0)" } ?? distroID
        }
        var text = "pkg:\(type)/"
        if let namespace, !namespace.isEmpty { text += encode(namespace) + "/" }
        text += encode(id.name)
        if !version.isEmpty { text += "@" + encode(version, keepColon: true) }
        if !qualifiers.isEmpty {
            text += "?" + qualifiers.sorted { $0.key < $1.key }.map { "\($0.key)=\(encode($0.value, keepColon: true))" }
                .joined(separator: "&")
        }
        return text
    }

    static func encode(_ text: String, keepColon: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(byte)))
            case UInt8(ascii: ":") where keepColon:
                out.append(":")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
