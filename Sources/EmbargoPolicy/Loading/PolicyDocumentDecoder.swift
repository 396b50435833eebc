import EmbargoInventory
import Foundation
import Yams

/// Turns the YAML of one policy file into a ``PolicyDocument``, collecting every problem with its
/// line and column instead of stopping at the first.
struct PolicyDocumentDecoder {
    static let schemaIdentifier = "embargo.policy/v1"

    let file: String
    let problems = ProblemCollector()

    static let documentKeys = ["schema", "id", "version", "title", "description", "profiles", "vendors"]
    static let vendorKeys = ["id", "name", "description", "legalEntities", "aliases", "products", "restrictions"]
    static let productKeys = ["id", "name", "category", "description", "remediation", "generic", "identifiers"]
    static let identifierCommonKeys = ["ecosystems", "strength", "weight", "source", "note"]
    static let restrictionKeys = [
        "id", "title", "authority", "instrument", "citations", "binds", "exemptions", "phases", "note",
    ]
    static let phaseKeys = ["id", "title", "effective", "kind", "prohibits", "severity", "violation", "citation"]
    static let citationKeys = ["cite", "url", "document", "published"]
    static let exemptionKeys = ["products", "categories", "reason", "citation"]
    static let profileKeys = ["id", "title", "description", "default"]
    static let legalEntityKeys = ["name", "country"]

    /// Decodes a document; returns nil when anything is wrong (see ``problems``).
    func decode(yaml: String, sha256: String) -> PolicyDocument? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            problems.add(Self.problem(from: error, file: file))
            return nil
        } catch {
            problems.add(PolicyProblem(.syntax, file: file, line: nil, column: nil, "\(error)"))
            return nil
        }
        guard let root else {
            problems.add(PolicyProblem(.missingKey, file: file, line: 1, column: 1, "the policy file is empty"))
            return nil
        }
        guard var reader = MappingReader(root, file: file, problems: problems, what: "a policy document") else {
            return nil
        }
        if let schema = reader.string("schema", required: true, context: "a policy document"),
            schema != Self.schemaIdentifier
        {
            problems.add(
                .invalidValue, reader.value("schema"), file: file,
                "unsupported schema '\(schema)'; this version of embargo reads '\(Self.schemaIdentifier)'")
        }
        let id = reader.string("id", required: true, context: "a policy document")
        if let id, let idNode = reader.value("id") { checkIdentifierSyntax(id, node: idNode, what: "policy id") }
        let version = reader.string("version", required: true, context: "a policy document")
        let title = reader.string("title", context: "a policy document")
        _ = reader.string("description", context: "a policy document")
        let profiles = (reader.sequence("profiles", context: "a policy document") ?? []).compactMap(decodeProfile)
        let vendors = (reader.sequence("vendors", context: "a policy document") ?? []).compactMap(decodeVendor)
        if !reader.has("vendors") && !reader.has("profiles") {
            problems.add(.missingKey, root, file: file, "a policy document needs 'vendors' or 'profiles'")
        }
        reader.reportUnknownKeys(allowed: Self.documentKeys, context: "the policy document")
        guard problems.problems.isEmpty, let id, let version else { return nil }
        return PolicyDocument(
            id: id, version: version, title: title, path: file, sha256: sha256, vendors: vendors, profiles: profiles)
    }

    static func problem(from error: YamlError, file: String) -> PolicyProblem {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let prefix = context.map { "\($0.text): " } ?? ""
            return PolicyProblem(.syntax, file: file, line: mark.line, column: mark.column, "YAML syntax: \(prefix)\(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return PolicyProblem(
                .duplicateID, file: file, line: context.mark.line, column: context.mark.column,
                "duplicate key(s) in one mapping: \(duplicates.joined(separator: ", "))")
        case .reader(let problem, let offset, _, _):
            return PolicyProblem(.syntax, file: file, line: nil, column: nil, "YAML reader: \(problem) at byte \(offset ?? 0)")
        default:
            return PolicyProblem(.syntax, file: file, line: nil, column: nil, "YAML: \(error)")
        }
    }

    // MARK: - Pieces

    private func checkIdentifierSyntax(_ id: String, node: Node, what: String) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-.")
        if id.isEmpty || !id.allSatisfy({ allowed.contains($0) }) || id.first == "-" {
            problems.add(
                .invalidValue, node, file: file,
                "\(what) '\(id)' must use lower-case letters, digits, '-' and '.' (it appears in journal fields and file names)")
        }
    }

    private func decodeProfile(_ node: Node) -> Profile? {
        guard var reader = MappingReader(node, file: file, problems: problems, what: "a profile") else { return nil }
        let id = reader.string("id", required: true, context: "a profile")
        if let id, let idNode = reader.value("id") { checkIdentifierSyntax(id, node: idNode, what: "profile id") }
        let title = reader.string("title", required: true, context: "profile '\(id ?? "?")'")
        let description = reader.string("description", context: "a profile")
        let isDefault = reader.bool("default") ?? false
        reader.reportUnknownKeys(allowed: Self.profileKeys, context: "profile '\(id ?? "?")'")
        guard let id, let title else { return nil }
        var profile = Profile(id: id, title: title, description: description, isDefault: isDefault)
        profile.location = node.location(in: file)
        return profile
    }

    private func decodeVendor(_ node: Node) -> Vendor? {
        guard var reader = MappingReader(node, file: file, problems: problems, what: "a vendor") else { return nil }
        let id = reader.string("id", required: true, context: "a vendor")
        if let id, let idNode = reader.value("id") { checkIdentifierSyntax(id, node: idNode, what: "vendor id") }
        let context = "vendor '\(id ?? "?")'"
        let name = reader.string("name", required: true, context: context)
        _ = reader.string("description", context: context)
        var entities: [LegalEntity] = []
        for entityNode in reader.sequence("legalEntities", context: context) ?? [] {
            if case .scalar = entityNode {
                if let name = reader.text(of: entityNode, key: "legalEntities") { entities.append(LegalEntity(name: name)) }
            } else if var entityReader = MappingReader(entityNode, file: file, problems: problems, what: "a legal entity") {
                let entityName = entityReader.string("name", required: true, context: "a legal entity")
                let country = entityReader.string("country", context: "a legal entity")
                entityReader.reportUnknownKeys(allowed: Self.legalEntityKeys, context: "a legal entity")
                if let entityName { entities.append(LegalEntity(name: entityName, country: country)) }
            }
        }
        let aliases = reader.strings("aliases", context: context) ?? []
        let products = (reader.sequence("products", required: true, context: context) ?? []).compactMap {
            decodeProduct($0)
        }
        let restrictions = (reader.sequence("restrictions", required: true, context: context) ?? []).compactMap {
            decodeRestriction($0)
        }
        reader.reportUnknownKeys(allowed: Self.vendorKeys, context: context)
        guard let id, let name else { return nil }
        return Vendor(
            id: id, name: name, legalEntities: entities, aliases: aliases, products: products,
            restrictions: restrictions, location: node.location(in: file))
    }

    private func decodeProduct(_ node: Node) -> Product? {
        guard var reader = MappingReader(node, file: file, problems: problems, what: "a product") else { return nil }
        let id = reader.string("id", required: true, context: "a product")
        if let id, let idNode = reader.value("id") { checkIdentifierSyntax(id, node: idNode, what: "product id") }
        let context = "product '\(id ?? "?")'"
        let name = reader.string("name", required: true, context: context)
        let category = reader.string("category", context: context)
        let description = reader.string("description", context: context)
        let remediation = reader.string("remediation", context: context)
        let generic = reader.bool("generic") ?? false
        let identifierNodes = reader.sequence("identifiers", required: true, context: context) ?? []
        if case .sequence(let list)? = reader.value("identifiers"), list.isEmpty {
            problems.add(.invalidValue, reader.value("identifiers"), file: file, "\(context) has no identifiers; it could never be found")
        }
        let identifiers = identifierNodes.compactMap { decodeIdentifier($0, product: id ?? "?") }
        reader.reportUnknownKeys(allowed: Self.productKeys, context: context)
        guard let id, let name else { return nil }
        return Product(
            id: id, name: name, category: category, description: description, remediation: remediation,
            identifiers: identifiers, isGeneric: generic, location: node.location(in: file))
    }

    private func decodeIdentifier(_ node: Node, product: String) -> Identifier? {
        guard var reader = MappingReader(node, file: file, problems: problems, what: "an identifier") else { return nil }
        let kindKeys = IdentifierKind.allCases.map(\.rawValue)
        let present = kindKeys.filter { reader.has($0) }
        let context = "an identifier of product '\(product)'"
        guard present.count == 1, let kind = IdentifierKind(rawValue: present[0]) else {
            let message =
                present.isEmpty
                ? "\(context) needs exactly one of: \(kindKeys.joined(separator: ", "))"
                : "\(context) has several kinds (\(present.joined(separator: ", "))); use one identifier per entry"
            problems.add(.invalidValue, node, file: file, message)
            for key in kindKeys { _ = reader.value(key) }
            for key in Self.identifierCommonKeys { _ = reader.value(key) }
            reader.reportUnknownKeys(allowed: kindKeys + Self.identifierCommonKeys, context: context)
            return nil
        }
        let valueNode = reader.value(kind.rawValue)
        let value = reader.string(kind.rawValue, required: true, context: context)
        var ecosystems: [PackageType] = []
        if let names = reader.strings("ecosystems", context: context) {
            if kind != .package {
                problems.add(.invalidValue, reader.value("ecosystems"), file: file, "'ecosystems' applies only to package identifiers")
            }
            for name in names {
                if let type = PackageType(rawValue: name) {
                    ecosystems.append(type)
                } else {
                    problems.add(
                        .invalidValue, reader.value("ecosystems"), file: file,
                        "unknown ecosystem '\(name)'; known: \(PackageType.allCases.map(\.rawValue).joined(separator: ", "))")
                }
            }
        }
        let strengthText = reader.string("strength", required: true, context: context)
        let strength = strengthText.flatMap { text -> IdentifierStrength? in
            guard let strength = IdentifierStrength(rawValue: text) else {
                problems.add(
                    .invalidValue, reader.value("strength"), file: file,
                    "strength must be one of: \(IdentifierStrength.allCases.map(\.rawValue).joined(separator: ", "))")
                return nil
            }
            return strength
        }
        var weight = kind.defaultWeight
        if let weightText = reader.string("weight", context: context) {
            if let parsed = EvidenceWeight(rawValue: weightText) {
                weight = parsed
            } else {
                problems.add(
                    .invalidValue, reader.value("weight"), file: file,
                    "weight must be one of: \(EvidenceWeight.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        let source = reader.string("source", required: true, context: context)
        let note = reader.string("note", context: context)
        reader.reportUnknownKeys(allowed: kindKeys + Self.identifierCommonKeys, context: context)
        guard let value, let strength, source != nil else { return nil }
        let location = (valueNode ?? node).location(in: file)
        guard let (normalized, glob) = compileIdentifier(kind: kind, value: value, ecosystems: ecosystems, node: valueNode ?? node)
        else { return nil }
        return Identifier(
            kind: kind, value: normalized, glob: glob, ecosystems: ecosystems, strength: strength, weight: weight,
            source: source, note: note, location: location)
    }

    /// Validates a pattern for its kind and compiles it; reports patterns that can never match.
    private func compileIdentifier(
        kind: IdentifierKind, value: String, ecosystems: [PackageType], node: Node
    ) -> (String, Glob?)? {
        func fail(_ message: String) -> (String, Glob?)? {
            problems.add(.unmatchableGlob, node, file: file, "\(kind.rawValue) '\(value)': \(message)")
            return nil
        }
        func compile(isPath: Bool = false, caseInsensitive: Bool = false) -> (String, Glob?)? {
            do {
                return (value, try Glob(value, isPath: isPath, caseInsensitive: caseInsensitive))
            } catch {
                return fail(error.description)
            }
        }
        if value != value.trimmingCharacters(in: .whitespacesAndNewlines) {
            return fail("leading or trailing white space can never match")
        }
        switch kind {
        case .package:
            if value.contains("/") || value.contains(" ") { return fail("package names contain neither '/' nor spaces") }
            let lowerCaseOnly: Set<PackageType> = [.deb, .opkg, .alpm]
            if value != value.lowercased(), !ecosystems.isEmpty, ecosystems.allSatisfy({ lowerCaseOnly.contains($0) }) {
                return fail("\(ecosystems.map(\.rawValue).joined(separator: "/")) package names are lower case")
            }
            return compile()
        case .maintainer, .certificateSubject:
            return compile(caseInsensitive: true)
        case .repositoryHost:
            if value.contains("://") || value.contains("/") {
                return fail("give a host name pattern (e.g. *.example.com), not a URL")
            }
            do {
                return (value.lowercased(), try Glob(value.lowercased(), caseInsensitive: true))
            } catch {
                return fail(error.description)
            }
        case .path:
            if value.count > 1 && value.hasSuffix("/") { return fail("paths are compared without a trailing '/'") }
            if value.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) {
                return fail("'.' and '..' never appear in a normalised path")
            }
            return compile(isPath: true)
        case .fileName:
            if value.contains("/") { return fail("a file name has no '/'; use a path identifier") }
            // The scan plan looks file names up exactly, so a wildcard would never be expanded.
            if value.contains(where: { "*?[".contains($0) }) {
                return fail("file names are matched exactly; use a path identifier for a pattern")
            }
            return compile()
        case .sha256:
            let lower = value.lowercased()
            guard lower.count == 64, lower.allSatisfy({ $0.isHexDigit }) else {
                return fail("a SHA-256 digest is 64 hexadecimal digits")
            }
            return (lower, nil)
        case .marker:
            if value.utf8.count < 4 { return fail("markers shorter than 4 bytes match too much to be evidence") }
            if value.contains("\n") { return fail("markers are single-line byte strings") }
            return (value, nil)
        case .unit:
            if value.contains("/") { return fail("a unit name has no '/'") }
            return compile()
        case .process:
            return compile()
        case .kernelModule:
            if value.contains("/") || value.hasSuffix(".ko") { return fail("give the module name (kav4fs_oas), not a file") }
            // The kernel treats '-' and '_' in module names alike and lists them with '_'.
            let normalized = value.replacingOccurrences(of: "-", with: "_")
            do {
                return (normalized, try Glob(normalized))
            } catch {
                return fail(error.description)
            }
        }
    }

    private func decodeCitation(_ node: Node, context: String) -> Citation? {
        guard var reader = MappingReader(node, file: file, problems: problems, what: "a citation") else { return nil }
        let cite = reader.string("cite", required: true, context: context)
        let url = reader.string("url", context: context)
        if let url, !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
            problems.add(.invalidValue, reader.value("url"), file: file, "citation url must be an http(s) URL")
        }
        let document = reader.string("document", context: context)
        let published = reader.string("published", context: context)
        if let published, RFC3339.parseDate(published) == nil {
            problems.add(.badDate, reader.value("published"), file: file, "'published' must be a date YYYY-MM-DD")
        }
        reader.reportUnknownKeys(allowed: Self.citationKeys, context: context)
        guard let cite else { return nil }
        return Citation(cite: cite, url: url, document: document, published: published)
    }

    private func decodeRestriction(_ node: Node) -> Restriction? {
        guard var reader = MappingReader(node, file: file, problems: problems, what: "a restriction") else { return nil }
        let id = reader.string("id", required: true, context: "a restriction")
        if let id, let idNode = reader.value("id") { checkIdentifierSyntax(id, node: idNode, what: "restriction id") }
        let context = "restriction '\(id ?? "?")'"
        let title = reader.string("title", required: true, context: context)
        let authority = reader.string("authority", required: true, context: context)
        let instrument = reader.string("instrument", context: context)
        let citationNodes = reader.sequence("citations", required: true, context: context) ?? []
        if case .sequence(let list)? = reader.value("citations"), list.isEmpty {
            problems.add(.invalidValue, reader.value("citations"), file: file, "\(context) needs at least one citation")
        }
        let citations = citationNodes.compactMap { decodeCitation($0, context: "a citation of \(context)") }
        let binds = reader.strings("binds", required: true, context: context) ?? []
        if case .sequence(let list)? = reader.value("binds"), list.isEmpty {
            problems.add(.invalidValue, reader.value("binds"), file: file, "\(context) binds no profile; it would never apply")
        }
        let exemptions = (reader.sequence("exemptions", context: context) ?? []).compactMap {
            decodeExemption($0, context: "an exemption of \(context)")
        }
        let phaseNodes = reader.sequence("phases", required: true, context: context) ?? []
        if case .sequence(let list)? = reader.value("phases"), list.isEmpty {
            problems.add(.invalidValue, reader.value("phases"), file: file, "\(context) needs at least one phase")
        }
        let phases = phaseNodes.compactMap { decodePhase($0, restriction: id ?? "?") }
        var seenPhases: [String: Phase] = [:]
        for phase in phases {
            if let earlier = seenPhases[phase.id] {
                problems.add(
                    PolicyProblem(
                        .duplicateID, at: phase.location,
                        "phase id '\(phase.id)' is used twice in \(context) (first at line \(earlier.location.line))"))
            }
            seenPhases[phase.id] = phase
        }
        let note = reader.string("note", context: context)
        reader.reportUnknownKeys(allowed: Self.restrictionKeys, context: context)
        guard let id, let title, let authority else { return nil }
        var restriction = Restriction(
            id: id, title: title, authority: authority, instrument: instrument, citations: citations, binds: binds,
            exemptions: exemptions, phases: phases, note: note, location: node.location(in: file))
        restriction.bindLocations = reader.locations(ofStrings: "binds")
        return restriction
    }

    private func decodeExemption(_ node: Node, context: String) -> Exemption? {
        guard var reader = MappingReader(node, file: file, problems: problems, what: "an exemption") else { return nil }
        let products = reader.strings("products", context: context) ?? []
        let categories = reader.strings("categories", context: context) ?? []
        if products.isEmpty && categories.isEmpty {
            problems.add(.missingKey, node, file: file, "\(context) needs 'products' or 'categories'")
        }
        let reason = reader.string("reason", required: true, context: context)
        let citation = reader.value("citation").flatMap { decodeCitation($0, context: "the citation of \(context)") }
        reader.reportUnknownKeys(allowed: Self.exemptionKeys, context: context)
        guard let reason else { return nil }
        var exemption = Exemption(products: products, categories: categories, reason: reason, citation: citation)
        exemption.productLocations = reader.locations(ofStrings: "products")
        return exemption
    }

    private func decodePhase(_ node: Node, restriction: String) -> Phase? {
        guard var reader = MappingReader(node, file: file, problems: problems, what: "a phase") else { return nil }
        let id = reader.string("id", required: true, context: "a phase of restriction '\(restriction)'")
        if let id, let idNode = reader.value("id") { checkIdentifierSyntax(id, node: idNode, what: "phase id") }
        let context = "phase '\(id ?? "?")' of restriction '\(restriction)'"
        let title = reader.string("title", context: context)
        let effectiveNode = reader.value("effective")
        let effectiveText = reader.string("effective", required: true, context: context)
        var effective: Date?
        if let effectiveText {
            do {
                effective = try RFC3339.parse(effectiveText)
            } catch .missingTimeZone {
                problems.add(
                    .missingTimeZone, effectiveNode, file: file,
                    "\(context): effective '\(effectiveText)' has no time zone; write the instant the law gives, e.g. \(effectiveText.prefix(10))T00:00:00-04:00")
            } catch {
                problems.add(.badDate, effectiveNode, file: file, "\(context): effective '\(effectiveText)': \(error)")
            }
        }
        var kind: PhaseKind?
        if let kindText = reader.string("kind", required: true, context: context) {
            kind = PhaseKind(rawValue: kindText)
            if kind == nil {
                problems.add(
                    .invalidValue, reader.value("kind"), file: file,
                    "\(context): kind '\(kindText)' is not one of \(PhaseKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        let prohibits = reader.string("prohibits", required: true, context: context)
        var severity = Severity.high
        if let severityText = reader.string("severity", context: context) {
            if let parsed = Severity(rawValue: severityText) {
                severity = parsed
            } else {
                problems.add(
                    .invalidValue, reader.value("severity"), file: file,
                    "\(context): severity must be one of \(Severity.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        let violation = reader.bool("violation") ?? true
        let citation = reader.value("citation").flatMap { decodeCitation($0, context: "the citation of \(context)") }
        reader.reportUnknownKeys(allowed: Self.phaseKeys, context: context)
        guard let id, let effective, let effectiveText, let kind, let prohibits else { return nil }
        return Phase(
            id: id, title: title, effective: effective, effectiveText: effectiveText, kind: kind, prohibits: prohibits,
            severity: severity, violation: violation, citation: citation, location: node.location(in: file))
    }
}
