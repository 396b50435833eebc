import Crypto
import EmbargoInventory
import Foundation

/// The policies in force for one audit: every loaded document, checked together.
public struct PolicySet: Sendable {
    public private(set) var documents: [PolicyDocument]

    public init(documents: [PolicyDocument]) {
        self.documents = documents
    }

    public var vendors: [Vendor] { documents.flatMap(\.vendors) }
    public var profiles: [Profile] { documents.flatMap(\.profiles) }

    /// The profile marked `default: true`, which applies when none is chosen.
    public var defaultProfile: Profile? { profiles.first { $0.isDefault } }

    public func profile(withID id: String) -> Profile? { profiles.first { $0.id == id } }

    public func vendor(withID id: String) -> Vendor? { vendors.first { $0.id == id } }

    /// One identity for the whole set, for report headers: the document ids joined with `+`.
    public var id: String { documents.map(\.id).joined(separator: "+") }

    /// The document versions joined with `+`, in the order of ``id``.
    public var version: String { documents.map(\.version).joined(separator: "+") }

    /// SHA-256 over every document's id and digest, in load order: changes when any file changes.
    public var sha256: String {
        var hasher = SHA256()
        for document in documents {
            hasher.update(data: Data("\(document.id)\u{0}\(document.sha256)\n".utf8))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// What the collectors must look for, compiled from every identifier of every product.
    public func scanPlan() -> ScanPlan {
        var plan = ScanPlan()
        for identifier in vendors.flatMap({ $0.products.flatMap(\.identifiers) }) {
            let glob = identifier.glob ?? (try? Glob(identifier.value))
            switch identifier.kind {
            case .path: if let glob { plan.pathGlobs.append(glob) }
            case .unit: if let glob { plan.unitNames.append(glob) }
            case .fileName: plan.fileNames.insert(identifier.value)
            case .sha256: plan.sha256Digests.insert(identifier.value)
            case .marker: plan.markers.append(identifier.value)
            case .certificateSubject: if let glob { plan.certificateSubjects.append(glob) }
            case .repositoryHost: if let glob { plan.repositoryHosts.append(glob) }
            case .process: if let glob { plan.processNames.append(glob) }
            case .kernelModule: if let glob { plan.kernelModuleNames.append(glob) }
            case .package, .maintainer: break
            }
        }
        plan.markers = Array(Set(plan.markers)).sorted()
        return plan
    }
}

extension PolicySet {
    /// Loads policy files and directories (every `*.yaml`/`*.yml` inside, sorted by name).
    ///
    /// A later document with the same `id` as an earlier one replaces it, so `--policy` can replace a
    /// bundled policy. Nothing is loaded unless everything is valid.
    public static func load(paths: [String]) throws(PolicyProblems) -> PolicySet {
        var problems: [PolicyProblem] = []
        var documents: [PolicyDocument] = []
        for file in expand(paths: paths, problems: &problems) {
            switch loadDocument(file: file) {
            case .success(let document):
                if let index = documents.firstIndex(where: { $0.id == document.id }) {
                    documents[index] = document
                } else {
                    documents.append(document)
                }
            case .failure(let failure):
                problems += failure.problems
            }
        }
        let set = PolicySet(documents: documents)
        problems += PolicySetValidator(set: set).validate()
        if !problems.isEmpty { throw PolicyProblems(problems) }
        return set
    }

    /// Loads and checks one file on its own.
    public static func loadDocument(file: String) -> Result<PolicyDocument, PolicyProblems> {
        guard let data = FileManager.default.contents(atPath: file) else {
            return .failure(PolicyProblems([PolicyProblem(.unreadable, file: file, line: nil, column: nil, "cannot read the file")]))
        }
        if let invalid = InvalidUTF8.find(in: Array(data)) {
            let hex = String(invalid.byte, radix: 16, uppercase: true)
            return .failure(
                PolicyProblems([
                    PolicyProblem(
                        .unreadable, file: file, line: invalid.line, column: invalid.column,
                        "the file is not UTF-8 text: invalid byte 0x\(hex.count == 1 ? "0" + hex : hex) at offset \(invalid.offset)")
                ]))
        }
        let text = String(decoding: data, as: UTF8.self)
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        let decoder = PolicyDocumentDecoder(file: file)
        if let document = decoder.decode(yaml: text, sha256: digest) {
            return .success(document)
        }
        // In file order, whatever order the decoder met them in.
        let ordered = decoder.problems.problems.enumerated().sorted { left, right in
            let leftKey = (left.element.line ?? 0, left.element.column ?? 0, left.offset)
            let rightKey = (right.element.line ?? 0, right.element.column ?? 0, right.offset)
            return leftKey < rightKey
        }
        return .failure(PolicyProblems(ordered.map(\.element)))
    }

    static func expand(paths: [String], problems: inout [PolicyProblem]) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                problems.append(PolicyProblem(.unreadable, file: path, line: nil, column: nil, "no such file or directory"))
                continue
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map {
                    path.hasSuffix("/") ? path + $0 : path + "/" + $0
                }
            } else {
                files.append(path)
            }
        }
        return files
    }
}

/// Checks that need every document at once: unique ids, references to profiles and products.
struct PolicySetValidator {
    let set: PolicySet

    func validate() -> [PolicyProblem] {
        var problems: [PolicyProblem] = []
        var profiles: [String: Profile] = [:]
        for profile in set.profiles {
            if let earlier = profiles[profile.id] {
                let previous = earlier.location.map { " (first at \($0))" } ?? ""
                problems.append(problem(.duplicateID, at: profile, "profile id '\(profile.id)' is defined twice\(previous)"))
            }
            profiles[profile.id] = profile
        }
        let defaults = set.profiles.filter(\.isDefault)
        if defaults.count > 1 {
            problems.append(
                problem(.invalidValue, at: defaults[1], "more than one default profile: \(defaults.map(\.id).joined(separator: ", "))"))
        }
        var vendors: [String: Vendor] = [:]
        for vendor in set.vendors {
            if let earlier = vendors[vendor.id] {
                problems.append(
                    PolicyProblem(.duplicateID, at: vendor.location, "vendor id '\(vendor.id)' is also defined at \(earlier.location)"))
            }
            vendors[vendor.id] = vendor
            problems += validate(vendor: vendor, knownProfiles: profiles)
        }
        if !set.vendors.isEmpty && profiles.isEmpty {
            problems.append(
                PolicyProblem(
                    .unknownReference, at: set.vendors[0].location,
                    "no profiles are defined; load a profiles document (the bundled Policies/profiles.yaml) with the vendors"))
        }
        return problems
    }

    /// A problem at a profile's definition; profiles built in code have no position, only a file.
    private func problem(_ kind: PolicyProblem.Kind, at profile: Profile, _ message: String) -> PolicyProblem {
        if let location = profile.location { return PolicyProblem(kind, at: location, message) }
        let file = set.documents.first { $0.profiles.contains(profile) }?.path ?? "<policy>"
        return PolicyProblem(kind, file: file, line: nil, column: nil, message)
    }

    private func validate(vendor: Vendor, knownProfiles: [String: Profile]) -> [PolicyProblem] {
        var problems: [PolicyProblem] = []
        var products: [String: Product] = [:]
        for product in vendor.products {
            if let earlier = products[product.id] {
                problems.append(
                    PolicyProblem(
                        .duplicateID, at: product.location,
                        "product id '\(product.id)' is used twice in vendor '\(vendor.id)' (first at line \(earlier.location.line))"))
            }
            products[product.id] = product
        }
        var restrictions: [String: Restriction] = [:]
        for restriction in vendor.restrictions {
            if let earlier = restrictions[restriction.id] {
                problems.append(
                    PolicyProblem(
                        .duplicateID, at: restriction.location,
                        "restriction id '\(restriction.id)' is used twice in vendor '\(vendor.id)' (first at line \(earlier.location.line))"))
            }
            restrictions[restriction.id] = restriction
            for profile in restriction.binds where knownProfiles[profile] == nil && !knownProfiles.isEmpty {
                problems.append(
                    PolicyProblem(
                        .unknownReference, at: restriction.bindLocations[profile] ?? restriction.location,
                        "restriction '\(restriction.id)' binds unknown profile '\(profile)'; known: \(knownProfiles.keys.sorted().joined(separator: ", "))"))
            }
            for exemption in restriction.exemptions {
                for product in exemption.products where products[product] == nil {
                    problems.append(
                        PolicyProblem(
                            .unknownReference, at: exemption.productLocations[product] ?? restriction.location,
                            "an exemption of restriction '\(restriction.id)' names unknown product '\(product)' of vendor '\(vendor.id)'"))
                }
                // A category no product has is allowed: the law may exempt a kind of product (security
                // training, say) of which the policy lists no Linux product.
            }
        }
        return problems
    }
}
