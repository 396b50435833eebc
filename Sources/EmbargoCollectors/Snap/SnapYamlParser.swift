import EmbargoInventory
import Yams

/// What a snap declares about itself in `meta/snap.yaml`.
public struct SnapMetadata: Sendable, Hashable {
    public var name: String
    public var version: String?
    public var summary: String?
    public var title: String?
    /// `app` when absent, as snapd assumes.
    public var type: String?
    public var architectures: [String]
    /// `strict`, `classic` or `devmode` as the snap asks for.
    public var confinement: String?
    public var grade: String?
    public var base: String?
    public var license: String?
    public var line: Int
}

/// A Debian package a snap says it contains: `usr/share/snappy/dpkg.yaml` of base snaps
/// (`packages:`) and `snap/manifest.yaml` written by snapcraft (`primed-stage-packages:`).
public struct SnapBundledPackage: Sendable, Hashable {
    public var name: String
    public var architecture: String?
    public var version: String
    public var line: Int?
}

/// The snapcraft build manifest's description of the snap, kept with the bundled packages.
public struct SnapManifest: Sendable, Hashable {
    public var snapName: String?
    public var snapVersion: String?
    public var base: String?
    public var architectures: [String]
    public var packages: [SnapBundledPackage]
}

/// Reads the YAML files found inside a mounted snap. Only top-level keys and flat lists are read,
/// never a whole tree, so anchors and aliases cannot make the reading explode.
public enum SnapYamlParser {
    /// `meta/snap.yaml`.
    public static func metadata(_ bytes: [UInt8], path: String) -> Result<SnapMetadata, SnapError> {
        let mapping: Node.Mapping
        switch topLevelMapping(bytes, path: path) {
        case .failure(let error): return .failure(error)
        case .success(let value): mapping = value
        }
        let line = mapping.mark?.line ?? 1
        guard let name = scalar(mapping, "name"), !name.isEmpty else {
            return .failure(
                SnapError(problem: .missingName, path: path, line: line, detail: "snap.yaml has no 'name'; the snap cannot be identified"))
        }
        return .success(
            SnapMetadata(
                name: name, version: scalar(mapping, "version"), summary: scalar(mapping, "summary"), title: scalar(mapping, "title"),
                type: scalar(mapping, "type"), architectures: scalars(mapping, "architectures"),
                confinement: scalar(mapping, "confinement"), grade: scalar(mapping, "grade"), base: scalar(mapping, "base"),
                license: scalar(mapping, "license"), line: line))
    }

    /// `usr/share/snappy/dpkg.yaml` or `snap/manifest.yaml`.
    public static func manifest(_ bytes: [UInt8], path: String) -> (manifest: SnapManifest?, errors: [SnapError]) {
        let mapping: Node.Mapping
        switch topLevelMapping(bytes, path: path) {
        case .failure(let error): return (nil, [error])
        case .success(let value): mapping = value
        }
        var errors: [SnapError] = []
        var packages: [SnapBundledPackage] = []
        for key in ["packages", "primed-stage-packages"] {
            guard let list = node(mapping, key)?.sequence else { continue }
            for item in list {
                guard let text = item.scalar?.string else { continue }
                // `name[:arch]=version`
                let parts = text.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    errors.append(
                        SnapError(
                            problem: .malformedPackageLine, path: path, line: item.mark?.line, column: item.mark?.column,
                            detail: "'\(excerpt(text))' is not 'name=version'; skipped"))
                    continue
                }
                let nameAndArch = parts[0].split(separator: ":", maxSplits: 1)
                packages.append(
                    SnapBundledPackage(
                        name: String(nameAndArch[0]), architecture: nameAndArch.count == 2 ? String(nameAndArch[1]) : nil,
                        version: String(parts[1]), line: item.mark?.line))
            }
        }
        let manifest = SnapManifest(
            snapName: scalar(mapping, "name"), snapVersion: scalar(mapping, "version"), base: scalar(mapping, "base"),
            architectures: scalars(mapping, "architectures"), packages: packages)
        return (manifest, errors)
    }

    // MARK: - YAML access

    private static func topLevelMapping(_ bytes: [UInt8], path: String) -> Result<Node.Mapping, SnapError> {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(SnapError(problem: .malformedYAML, path: path, line: 1, detail: "file is not UTF-8 text"))
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            return .failure(yamlError(error, path: path))
        }
        guard let root, let mapping = root.mapping else {
            let mark = root?.mark
            return .failure(
                SnapError(
                    problem: .malformedYAML, path: path, line: mark?.line ?? 1, column: mark?.column,
                    detail: "the document is not a mapping of keys to values"))
        }
        return .success(mapping)
    }

    static func yamlError(_ error: any Error, path: String) -> SnapError {
        guard let error = error as? YamlError else {
            return SnapError(problem: .malformedYAML, path: path, detail: "YAML could not be read: \(error)")
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return SnapError(problem: .malformedYAML, path: path, line: mark.line, column: mark.column, detail: "YAML: \(problem)")
        case .reader(let problem, let offset, _, _):
            return SnapError(problem: .malformedYAML, path: path, offset: offset, detail: "YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return SnapError(
                problem: .malformedYAML, path: path, line: context.mark.line, column: context.mark.column,
                detail: "YAML: duplicated keys \(duplicates.joined(separator: ", "))")
        default:
            return SnapError(problem: .malformedYAML, path: path, detail: "YAML could not be read: \(error)")
        }
    }

    private static func node(_ mapping: Node.Mapping, _ key: String) -> Node? {
        for (candidate, value) in mapping where candidate.scalar?.string == key { return value }
        return nil
    }

    private static func scalar(_ mapping: Node.Mapping, _ key: String) -> String? {
        node(mapping, key)?.scalar?.string
    }

    private static func scalars(_ mapping: Node.Mapping, _ key: String) -> [String] {
        guard let value = node(mapping, key) else { return [] }
        if let single = value.scalar?.string { return [single] }
        return value.sequence?.compactMap { $0.scalar?.string } ?? []
    }
}
