import EmbargoInventory
import Foundation
import Testing
import TestSupport

@testable import EmbargoPolicy

/// The policies shipped in `Policies/`: they load, and every date, binding, exemption and
/// identifier is what the law and the sources say (see the tables in docs/policy.md).
@Suite struct BundledPolicyTests {
    let set: PolicySet

    init() throws {
        set = try PolicySet.load(paths: [ProjectPaths.policies.path])
    }

    private var kaspersky: Vendor {
        get throws { try #require(set.vendor(withID: "kaspersky")) }
    }

    private var positiveTechnologies: Vendor {
        get throws { try #require(set.vendor(withID: "positive-technologies")) }
    }

    /// The instant of an RFC 3339 text, parsed by Foundation rather than by the code under test.
    private func instant(_ text: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return try #require(formatter.date(from: text), "\(text)")
    }

    private func restriction(_ id: String, of vendor: Vendor) throws -> Restriction {
        try #require(vendor.restrictions.first { $0.id == id }, "restriction \(id)")
    }

    private func product(_ id: String, of vendor: Vendor) throws -> Product {
        try #require(vendor.products.first { $0.id == id }, "product \(id)")
    }

    // MARK: - The set

    @Test func theBundledDirectoryLoadsWithIdsVersionsAndDigests() throws {
        #expect(set.documents.map(\.id) == ["kaspersky", "positive-technologies", "profiles"])
        #expect(set.documents.allSatisfy { $0.version == "1.0.0" })
        #expect(set.id == "kaspersky+positive-technologies+profiles")
        #expect(set.version == "1.0.0+1.0.0+1.0.0")
        for document in set.documents {
            // The digest is of the file's bytes, as sha256sum computes it.
            let output = try Command.check("sha256sum", [document.path])
            #expect(document.sha256 == String(output.stdout.prefix(64)), "\(document.path)")
            #expect(document.title?.isEmpty == false)
        }
        #expect(set.sha256.count == 64 && set.sha256.allSatisfy(\.isHexDigit))
        // Loading the same files again gives the same identity; it depends on content only.
        #expect(try PolicySet.load(paths: [ProjectPaths.policies.path]).sha256 == set.sha256)
    }

    @Test func profilesAreTheFourAudiencesWithCommercialAsDefault() throws {
        #expect(set.profiles.map(\.id) == ["us-commercial", "us-federal", "us-federal-contractor", "us-fcc-regulated"])
        #expect(set.defaultProfile?.id == "us-commercial")
        #expect(set.profiles.filter(\.isDefault).count == 1)
        for profile in set.profiles {
            #expect((profile.description ?? "").count > 40, "profile \(profile.id) says who it is for")
        }
    }

    // MARK: - Kaspersky restrictions

    @Test func everyKasperskyPhaseStartsAtTheExactInstant() throws {
        let expected: [String: [String: String]] = [
            "commerce-icts-2021-002": [
                "new-agreements": "2024-07-20T00:00:00-04:00",
                "updates-resale-licensing": "2024-09-29T00:00:00-04:00",
            ],
            "fcc-covered-list": ["covered-list-addition": "2022-03-25T00:00:00-04:00"],
            // DST ended on 2017-11-05: EDT for the first deadline, EST for the others.
            "dhs-bod-17-01": [
                "identify": "2017-10-13T00:00:00-04:00",
                "plan": "2017-11-12T00:00:00-05:00",
                "begin-removal": "2017-12-12T00:00:00-05:00",
            ],
            "ndaa-fy2018-1634": ["use-prohibition": "2018-10-01T00:00:00-04:00"],
            "bis-entity-list-2024": ["exports": "2024-06-24T00:00:00-04:00"],
        ]
        let vendor = try kaspersky
        #expect(Set(vendor.restrictions.map(\.id)) == Set(expected.keys))
        for (restrictionID, phases) in expected {
            let restriction = try restriction(restrictionID, of: vendor)
            #expect(Set(restriction.phases.map(\.id)) == Set(phases.keys), "\(restrictionID)")
            for phase in restriction.phases {
                let text = try #require(phases[phase.id])
                #expect(phase.effectiveText == text, "\(restrictionID)/\(phase.id)")
                #expect(phase.effective == (try instant(text)), "\(restrictionID)/\(phase.id)")
            }
        }
        // The same instants in UTC, written out, so that an offset typo cannot hide.
        let commerce = try restriction("commerce-icts-2021-002", of: vendor)
        #expect(commerce.phases.map { RFC3339.format($0.effective) } == ["2024-07-20T04:00:00Z", "2024-09-29T04:00:00Z"])
        let directive = try restriction("dhs-bod-17-01", of: vendor)
        #expect(
            directive.phases.map { RFC3339.format($0.effective) }
                == ["2017-10-13T04:00:00Z", "2017-11-12T05:00:00Z", "2017-12-12T05:00:00Z"])
    }

    @Test func kasperskyRestrictionsBindTheRightProfiles() throws {
        let vendor = try kaspersky
        let everyone: Set = ["us-commercial", "us-federal", "us-federal-contractor", "us-fcc-regulated"]
        let expected: [String: Set<String>] = [
            "commerce-icts-2021-002": everyone,
            "fcc-covered-list": ["us-fcc-regulated"],
            "dhs-bod-17-01": ["us-federal"],
            "ndaa-fy2018-1634": ["us-federal", "us-federal-contractor"],
            "bis-entity-list-2024": everyone,
        ]
        for (id, profiles) in expected {
            #expect(Set(try restriction(id, of: vendor).binds) == profiles, "\(id)")
        }
    }

    @Test func onlyPhasesThatForbidPresenceCountAsViolations() throws {
        let vendor = try kaspersky
        let violation = Dictionary(
            uniqueKeysWithValues: vendor.restrictions.flatMap { restriction in
                restriction.phases.map { ("\(restriction.id)/\($0.id)", $0.violation) }
            })
        #expect(
            violation == [
                "commerce-icts-2021-002/new-agreements": true,
                "commerce-icts-2021-002/updates-resale-licensing": true,
                "fcc-covered-list/covered-list-addition": true,
                "dhs-bod-17-01/identify": false,
                "dhs-bod-17-01/plan": false,
                "dhs-bod-17-01/begin-removal": true,
                "ndaa-fy2018-1634/use-prohibition": true,
                "bis-entity-list-2024/exports": false,
            ])
        let directive = try restriction("dhs-bod-17-01", of: vendor)
        #expect(directive.phases.map(\.kind) == [.identification, .planning, .removal])
        #expect(try restriction("commerce-icts-2021-002", of: vendor).phases.map(\.kind) == [.acquisition, .updates])
        #expect(try restriction("bis-entity-list-2024", of: vendor).phases.map(\.kind) == [.exports])
    }

    @Test func kasperskyCitationsNameTheFederalRegisterDocuments() throws {
        let vendor = try kaspersky
        let commerce = try restriction("commerce-icts-2021-002", of: vendor)
        #expect(commerce.citations.contains { $0.cite == "89 FR 52434" && $0.document == "FR Doc. 2024-13532" && $0.published == "2024-06-24" })
        let directive = try restriction("dhs-bod-17-01", of: vendor)
        #expect(directive.citations.contains { $0.cite == "82 FR 43782" && $0.document == "FR Doc. 2017-19838" && $0.published == "2017-09-19" })
        let covered = try restriction("fcc-covered-list", of: vendor)
        #expect(covered.citations.contains { $0.document == "DA 22-320" && $0.published == "2022-03-25" })
        let entityList = try restriction("bis-entity-list-2024", of: vendor)
        #expect(entityList.citations.contains { $0.cite == "89 FR 52362" && ($0.document ?? "").contains("2024-13695") })
        let statute = try restriction("ndaa-fy2018-1634", of: vendor)
        #expect(statute.citations.contains { $0.cite.contains("Pub. L. 115-91") })
        #expect(statute.citations.contains { $0.cite.contains("52.204-23") })
        for restriction in vendor.restrictions {
            for citation in restriction.citations + restriction.phases.compactMap(\.citation) {
                if let url = citation.url { #expect(url.hasPrefix("http"), "\(restriction.id): \(url)") }
            }
        }
    }

    @Test func threatIntelligenceIsExemptFromTheCommerceRuleAndTheDirectiveButNotTheStatute() throws {
        let vendor = try kaspersky
        let cyberTrace = try product("cybertrace", of: vendor)
        #expect(cyberTrace.category == "threat-intelligence")
        let commerce = try restriction("commerce-icts-2021-002", of: vendor)
        #expect(commerce.exemptions.count == 1)
        #expect(Set(commerce.exemptions[0].categories) == ["threat-intelligence", "security-training"])
        #expect(commerce.exemptions[0].citation?.url?.hasPrefix("https://") == true)
        #expect(commerce.exemption(for: cyberTrace) != nil)
        #expect(try restriction("dhs-bod-17-01", of: vendor).exemption(for: cyberTrace) != nil)
        #expect(try restriction("ndaa-fy2018-1634", of: vendor).exemption(for: cyberTrace) == nil)
        #expect(try restriction("fcc-covered-list", of: vendor).exemption(for: cyberTrace) == nil)
        // No Linux security-training product exists; the category is exempt all the same.
        #expect(!vendor.products.contains { $0.category == "security-training" })
        for product in vendor.products where product.id != "cybertrace" {
            #expect(commerce.exemption(for: product) == nil, "\(product.id) is not exempt")
        }
    }

    // MARK: - Kaspersky products

    @Test func everyLinuxProductOfTheReferenceIsEncoded() throws {
        let ids = Set(try kaspersky.products.map(\.id))
        #expect(
            ids == [
                "kesl", "kesl-gui", "klnagent64", "klnagent", "ksc64", "ksc-web-console", "kess", "kics", "kics4net", "kwts", "klms",
                "kav4fs", "kav4ws", "kav4proxy", "scan-engine", "light-agent", "ksv-la-svm", "kfl", "cybertrace",
                "kaspersky-unidentified",
            ])
    }

    @Test func packageNamesPerProduct() throws {
        let vendor = try kaspersky
        func packages(_ id: String) throws -> Set<String> {
            Set(try product(id, of: vendor).identifiers.filter { $0.kind == .package }.map(\.value))
        }
        #expect(try packages("kesl") == ["kesl", "kesl-astra"])
        #expect(try packages("kesl-gui") == ["kesl-gui"])
        #expect(try packages("klnagent64") == ["klnagent64"])
        #expect(try packages("klnagent") == ["klnagent"])
        #expect(try packages("ksc64") == ["ksc64"])
        #expect(try packages("ksc-web-console") == ["ksc-web-console"])
        #expect(try packages("kess") == ["kess", "kess-gui"])
        #expect(try packages("kics") == ["kics", "kics-gui"])
        #expect(try packages("kics4net") == ["kics4net", "kics4net-*"])
        #expect(try packages("kwts") == ["kwts"])
        #expect(try packages("kfl") == ["kfl"])
        #expect(try packages("kav4fs") == ["kav4fs"])
        #expect(try packages("kav4ws") == ["kav4ws"])
        let astra = try #require(try product("kesl", of: vendor).identifiers.first { $0.value == "kesl-astra" })
        #expect(astra.ecosystems == [.deb])
        let components = try #require(try product("kics4net", of: vendor).identifiers.first { $0.value == "kics4net-*" })
        for name in ["kics4net-utm", "kics4net-postgresql", "kics4net-epp-proxy"] { #expect(components.matches(name)) }
        #expect(!components.matches("kics4net"))
    }

    @Test func unitsProcessesAndKernelModules() throws {
        let vendor = try kaspersky
        func values(_ id: String, _ kind: IdentifierKind) throws -> Set<String> {
            Set(try product(id, of: vendor).identifiers.filter { $0.kind == kind }.map(\.value))
        }
        #expect(try values("kesl", .unit) == ["kesl.service", "kesl", "kesl-supervisor.service", "kesl-supervisor"])
        #expect(try values("klnagent64", .unit) == ["klnagent64.service", "klnagent64"])
        #expect(try values("scan-engine", .unit).isSuperset(of: ["kavhttpd.service", "kavicapd.service"]))
        #expect(try values("cybertrace", .unit) == ["cybertrace.service"])
        #expect(try values("kav4fs", .unit) == ["kav4fs-supervisor"])
        #expect(try values("kav4fs", .kernelModule) == ["kav4fs_oas", "redirfs"])
        #expect(try values("kesl", .process) == ["wdserver"])
        #expect(try values("klnagent64", .process) == ["klnagent"])
        let ksc = try product("ksc64", of: vendor)
        let adminServer = try #require(ksc.identifiers.first { $0.value == "kladminserver_srv*" })
        #expect(adminServer.matches("kladminserver_srv.service") && adminServer.matches("kladminserver_srv"))
        let proxy = try #require(try product("kav4proxy", of: vendor).identifiers.first { $0.kind == .process })
        #expect(proxy.matches("kav4proxy-kavic"), "the kernel's 15-byte command name")
        #expect(proxy.matches("kav4proxy-kavicapserver"))
    }

    @Test func vendorWidePathsBelongToTheGenericProduct() throws {
        let vendor = try kaspersky
        let generic = vendor.products.filter(\.isGeneric)
        #expect(generic.map(\.id) == ["kaspersky-unidentified"])
        let paths = Set(generic[0].identifiers.filter { $0.kind == .path }.map(\.value))
        #expect(paths.isSuperset(of: ["/opt/kaspersky/*/**", "/var/opt/kaspersky/*/**", "/etc/opt/kaspersky/*/**", "/var/log/kaspersky/*/**"]))
        let optKaspersky = try #require(generic[0].identifiers.first { $0.value == "/opt/kaspersky/*/**" })
        #expect(optKaspersky.matches("/opt/kaspersky/newproduct"))
        #expect(optKaspersky.matches("/opt/kaspersky/newproduct/bin/x"))
        #expect(optKaspersky.matches("/opt/kaspersky/stray-file"))
        #expect(optKaspersky.weight == .sufficient)
        // The vendor directory itself holds every product: alone it is evidence of none, and with
        // a product installed it must not add a second, "unidentified" finding.
        #expect(!optKaspersky.matches("/opt/kaspersky"))
        #expect(optKaspersky.glob?.literalDirectoryPrefix == "/opt/kaspersky")
        // Specific products never use the vendor-wide trees themselves.
        for product in vendor.products where !product.isGeneric {
            #expect(!product.identifiers.contains { paths.contains($0.value) }, "\(product.id)")
        }
    }

    @Test func certificateSubjectsMatchTheRFC4514FormCaseInsensitively() throws {
        let generic = try product("kaspersky-unidentified", of: try kaspersky)
        let subjects = generic.identifiers.filter { $0.kind == .certificateSubject && $0.weight == .sufficient }
        func matched(_ subject: String) -> Bool { subjects.contains { $0.matches(subject) } }
        #expect(matched("CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU"))
        #expect(matched("cn=kaspersky anti-virus personal root certificate,o=ao kaspersky lab"))
        #expect(matched("CN=Kaspersky Lab Root,O=Kaspersky Lab ZAO,C=RU"))
        #expect(matched("CN=x,O=Kaspersky Lab\\, Inc.,C=US"))
        #expect(!matched("CN=ISRG Root X1,O=Internet Security Research Group,C=US"))
        #expect(!matched("CN=Kaspersky fan club,O=Example"))
    }

    @Test func evidenceStrengthAndWeightFollowTheSources() throws {
        let vendor = try kaspersky
        func identifier(_ productID: String, _ value: String) throws -> Identifier {
            try #require(try product(productID, of: vendor).identifiers.first { $0.value == value }, "\(productID) \(value)")
        }
        // Things the sources do not confirm are only ever supporting evidence.
        for (productID, value) in [
            ("klms", "klms"), ("kav4proxy", "kav4proxy"), ("scan-engine", "klScanEngineUI*.service"),
            ("kav4fs", "redirfs"), ("kesl", "wdserver"), ("kaspersky-unidentified", "*Kaspersky*"),
            ("kaspersky-unidentified", "*CN=Kaspersky Anti-Virus Personal Root Certificate*"),
        ] {
            let found = try identifier(productID, value)
            #expect(found.weight == .supporting, "\(productID) \(value)")
            #expect(found.note?.isEmpty == false, "\(productID) \(value) says why")
        }
        // A package repository on Kaspersky's own domains is an update channel from the vendor:
        // the very thing the updates ban stops, so it is sufficient on its own.
        #expect(try identifier("kaspersky-unidentified", "*.kaspersky.com").weight == .sufficient)
        #expect(try identifier("kaspersky-unidentified", "*.kaspersky-labs.com").weight == .sufficient)
        #expect(try identifier("kesl", "kesl").strength == .vendorDocumented)
        #expect(try identifier("ksc64", "ksc64").strength == .thirdParty)
        #expect(try identifier("kesl", "kesl.service").strength == .thirdParty)
        #expect(try identifier("klnagent64", "klnagent64.service").strength == .vendorDocumented)
        // Markers are weak and distinctive: supporting, and never short or generic.
        let markers = vendor.products.flatMap(\.identifiers).filter { $0.kind == .marker }
        #expect(!markers.isEmpty)
        for marker in markers {
            #expect(marker.weight == .supporting, "\(marker.value)")
            #expect(marker.value.utf8.count >= 8, "\(marker.value) is distinctive")
        }
    }

    // MARK: - Positive Technologies

    @Test func positiveTechnologiesSanctionsAndListings() throws {
        let vendor = try positiveTechnologies
        let everyone: Set = ["us-commercial", "us-federal", "us-federal-contractor", "us-fcc-regulated"]
        let sanctions = try restriction("ofac-sdn-2021", of: vendor)
        #expect(Set(sanctions.binds) == everyone)
        #expect(sanctions.phases.map(\.kind) == [.transactions])
        #expect(sanctions.phases.map(\.violation) == [true])
        #expect(sanctions.phases[0].effective == (try instant("2021-04-15T04:00:00Z")))
        let entityList = try restriction("bis-entity-list-2021", of: vendor)
        #expect(Set(entityList.binds) == everyone)
        #expect(entityList.phases.map(\.id) == ["first-listing", "second-listing"])
        #expect(entityList.phases.map(\.effectiveText) == ["2021-07-19T00:00:00-04:00", "2021-11-04T00:00:00-04:00"])
        #expect(entityList.phases.allSatisfy { !$0.violation && $0.kind == .exports })
        #expect(entityList.citations.contains { $0.cite == "86 FR 37901" && $0.document == "FR Doc. 2021-15362" && $0.published == "2021-07-19" })
        #expect(entityList.citations.contains { $0.cite.hasPrefix("86 FR 60759") && $0.document == "FR Doc. 2021-24123" })
        #expect(Set(vendor.products.map(\.id)) == ["pt-nad", "pt-af", "positive-technologies-unidentified"])
        #expect(vendor.products.allSatisfy { product in product.identifiers.allSatisfy { $0.strength == .thirdParty } })
    }

    // MARK: - Every product, every identifier

    @Test func everyProductHasASufficientIdentifierAndARemediation() throws {
        for vendor in set.vendors {
            for product in vendor.products {
                #expect(product.identifiers.contains { $0.weight == .sufficient }, "\(vendor.id)/\(product.id)")
                #expect((product.remediation ?? "").count > 20, "\(vendor.id)/\(product.id)")
            }
            #expect(vendor.products.filter(\.isGeneric).count == 1, "\(vendor.id) has one catch-all")
        }
    }

    @Test func everyIdentifierHasASourceAndVendorDocumentedOnesAURL() throws {
        for vendor in set.vendors {
            for product in vendor.products {
                for identifier in product.identifiers {
                    let label = "\(vendor.id)/\(product.id) \(identifier.kind.rawValue) \(identifier.value)"
                    let source = try #require(identifier.source, "\(label)")
                    #expect(source.count > 10, "\(label)")
                    if identifier.strength == .vendorDocumented {
                        #expect(source.hasPrefix("http"), "\(label): \(source)")
                    }
                    #expect(identifier.location.file.hasSuffix(".yaml") && identifier.location.line > 0)
                }
            }
        }
    }

    @Test func theScanPlanCarriesEveryPattern() throws {
        let plan = set.scanPlan()
        #expect(plan.isInterestingPath("/opt/kaspersky/kesl"))
        #expect(plan.isInterestingPath("/opt/kaspersky/kesl/bin/kesl-control"))
        #expect(plan.isInterestingPath("/opt/ptsecurity/nad/bin/x"))
        #expect(!plan.isInterestingPath("/opt/google/chrome/chrome"))
        #expect(plan.isInterestingUnit("kesl.service"))
        #expect(plan.isInterestingUnit("kav4fs-supervisor"))
        #expect(plan.isInterestingUnit("nad-dpi-server.service"))
        #expect(!plan.isInterestingUnit("ssh.service"))
        #expect(plan.fileNames.isSuperset(of: ["kesl-control", "klnagchk", "kfl-control", "kav4fs-control"]))
        #expect(plan.markers == Array(Set(plan.markers)).sorted())
        #expect(plan.kernelModuleNames.contains { $0.matches("kav4fs_oas") })
        #expect(plan.processNames.contains { $0.matches("kavhttpd") })
        #expect(plan.repositoryHosts.contains { $0.matches("products.s.kaspersky-labs.com") })
        #expect(plan.certificateSubjects.contains { $0.matches("CN=x,O=AO Kaspersky Lab,C=RU") })
        // Every path pattern starts its search below the root, never with a walk of '/'.
        for glob in plan.pathGlobs {
            #expect(glob.literalDirectoryPrefix != "/", "\(glob.pattern)")
        }
    }
}

/// The complete example of docs/policy.md is a valid policy, so the documentation cannot drift.
@Suite struct DocumentationExampleTests {
    @Test func theExampleInTheGuideLoadsWithTheBundledProfiles() throws {
        let guide = try String(contentsOf: ProjectPaths.root.appendingPathComponent("docs/policy.md"), encoding: .utf8)
        let start = try #require(guide.range(of: "```yaml\n# Policies/acme.yaml\n"))
        let end = try #require(guide.range(of: "```", range: start.upperBound..<guide.endIndex))
        let directory = try TemporaryDirectory(prefix: "embargo-guide")
        let example = try directory.write("acme.yaml", String(guide[start.upperBound..<end.lowerBound]))
        let set = try PolicySet.load(paths: [ProjectPaths.policies.appendingPathComponent("profiles.yaml").path, example.path])
        let vendor = try #require(set.vendor(withID: "acme"))
        #expect(vendor.products.map(\.id) == ["acme-agent", "acme-unidentified"])
        let marker = try #require(vendor.products[0].identifiers.first { $0.kind == .marker })
        #expect(marker.weight == .supporting, "markers default to supporting")
        #expect(vendor.restrictions[0].phases[0].effectiveText == "2099-03-01T00:00:00-05:00")
    }
}
