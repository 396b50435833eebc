import EmbargoInventory

/// A problem with a flatpak installation's files.
public struct FlatpakError: LocatedError, Equatable {
    public enum Problem: String, Sendable, Equatable {
        /// The `deploy` file is not the GVariant flatpak writes.
        case malformedDeployData = "malformed-deploy-data"
        case malformedMetainfo = "malformed-metainfo"
        case missingVersion = "missing-version"
        case malformedMetadata = "malformed-metadata"
        /// An `active` link that points nowhere: the deployment is broken or half-removed.
        case brokenDeployment = "broken-deployment"
        case mismatch
    }

    public var problem: Problem
    public var path: String
    public var line: Int?
    public var column: Int?
    public var offset: Int?
    public var detail: String

    public init(problem: Problem, path: String, line: Int? = nil, column: Int? = nil, offset: Int? = nil, detail: String) {
        self.problem = problem
        self.path = path
        self.line = line
        self.column = column
        self.offset = offset
        self.detail = detail
    }

    public var code: String { "flatpak.\(problem.rawValue)" }
    public var location: IssueLocation { IssueLocation(path: path, line: line, column: column, offset: offset) }
    public var reason: String { detail }
}

/// The `deploy` file of a flatpak deployment: the GVariant `(ssasta{sv})` flatpak writes when it
/// deploys a commit (`flatpak_dir_new_deploy_data`): origin remote, commit, subpaths, installed
/// size and a metadata dictionary.
public struct FlatpakDeployData: Sendable, Hashable {
    /// The remote the ref was installed from (`flathub`).
    public var origin: String
    public var commit: String
    public var subpaths: [String]
    /// Bytes; flatpak stores it big-endian inside the otherwise little-endian variant.
    public var installedSize: UInt64
    /// `deploy-version`: 0 for deployments made before flatpak 1.2.
    public var deployVersion: Int?
    /// `timestamp`: the commit's build time (seconds), not the deploy time; 0 when unknown.
    public var commitTimestamp: UInt64?
    /// `appdata-version`, `appdata-license`, and the untranslated `appdata-name`/`appdata-summary`
    /// (translations are stored under `appdata-name@<locale>`).
    public var appdataVersion: String?
    public var appdataLicense: String?
    public var appdataName: String?
    public var appdataSummary: String?
    /// `runtime` (for apps), `extension-of` (for extensions).
    public var runtime: String?
    public var extensionOf: String?
    /// `eol`, `eolr`: end-of-life notices of the commit.
    public var endOfLife: String?
    public var endOfLifeRebase: String?
    public var previousIDs: [String]

    static let type = GVariantType("(ssasta{sv})")!

    public static func parse(_ bytes: [UInt8], path: String) -> Result<FlatpakDeployData, FlatpakError> {
        let value: GVariantValue
        do {
            value = try GVariantDecoder.decode(bytes, as: type)
        } catch {
            return .failure(
                FlatpakError(
                    problem: .malformedDeployData, path: path, offset: error.offset,
                    detail: "deploy data is not a flatpak (ssasta{sv}) variant: \(error.reason)"))
        }
        guard case .tuple(let members) = value, members.count == 5, let origin = members[0].string,
            let commit = members[1].string, let size = members[3].unsigned
        else {
            return .failure(FlatpakError(problem: .malformedDeployData, path: path, offset: 0, detail: "deploy data has an unexpected shape"))
        }
        let metadata = members[4].dictionary ?? [:]
        return .success(
            FlatpakDeployData(
                origin: origin, commit: commit, subpaths: members[2].strings ?? [], installedSize: size.byteSwapped,
                deployVersion: metadata["deploy-version"]?.integer.map { Int($0) },
                commitTimestamp: metadata["timestamp"]?.unsigned, appdataVersion: metadata["appdata-version"]?.string,
                appdataLicense: metadata["appdata-license"]?.string, appdataName: metadata["appdata-name"]?.string,
                appdataSummary: metadata["appdata-summary"]?.string, runtime: metadata["runtime"]?.string,
                extensionOf: metadata["extension-of"]?.string, endOfLife: metadata["eol"]?.string,
                endOfLifeRebase: metadata["eolr"]?.string, previousIDs: metadata["previous-ids"]?.strings ?? []))
    }
}

/// The `metadata` key file of a deployment (`[Application]` or `[Runtime]` group with `name`,
/// `runtime`, `sdk`, `command`), read as a plain INI file.
public struct FlatpakMetadata: Sendable, Hashable {
    /// `Application` or `Runtime`.
    public var kind: String?
    public var name: String?
    public var runtime: String?
    public var sdk: String?
    public var command: String?
    /// The ref this extension extends (`[ExtensionOf] ref=`).
    public var extensionOf: String?

    public static func parse(_ bytes: [UInt8]) -> FlatpakMetadata {
        var metadata = FlatpakMetadata()
        var group = ""
        for line in ByteLines(bytes) {
            let content = line.content.trimmingBlanks
            guard let first = content.first, first != UInt8(ascii: "#") else { continue }
            if first == UInt8(ascii: "["), content.last == UInt8(ascii: "]") {
                group = String(decoding: content.dropFirst().dropLast(), as: UTF8.self)
                continue
            }
            guard let equals = content.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = String(decoding: content[content.startIndex..<equals].trimmingBlanks, as: UTF8.self)
            let value = String(decoding: content[(equals + 1)...].trimmingBlanks, as: UTF8.self)
            switch (group, key) {
            case ("Application", "name"), ("Runtime", "name"):
                metadata.kind = group
                metadata.name = value
            case ("Application", "runtime"), ("Runtime", "runtime"): metadata.runtime = value
            case ("Application", "sdk"), ("Runtime", "sdk"): metadata.sdk = value
            case ("Application", "command"): metadata.command = value
            case ("ExtensionOf", "ref"): metadata.extensionOf = value
            default: break
            }
        }
        return metadata
    }
}
