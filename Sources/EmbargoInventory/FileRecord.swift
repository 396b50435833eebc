import Foundation

/// A file found on disk because the scan plan asked for it (a policy path, a file name, a digest or a
/// string marker), with what was learned about it.
public struct FileRecord: Sendable, Hashable, Codable {
    /// The path inside the root, as found (not resolved through symbolic links).
    public var path: String
    public var kind: String
    public var size: Int64?
    public var modifiedAt: Date?
    public var permissions: UInt32?
    public var sha256: String?
    /// The packages whose file lists name this path (after usr-merge canonicalisation).
    public var owners: [PackageID]
    /// Facts from the file's content: ELF class, build-id, `.note.package` fields, AppImage, shebang, ...
    public var attributes: [String: String]
    /// String markers of the scan plan found in the file, each as a whole token.
    public var markers: [String]
    /// Which collector found it (`policy-paths`, `file-walk`, ...).
    public var foundBy: String

    public init(
        path: String, kind: String = "file", size: Int64? = nil, modifiedAt: Date? = nil, permissions: UInt32? = nil,
        sha256: String? = nil, owners: [PackageID] = [], attributes: [String: String] = [:], markers: [String] = [],
        foundBy: String
    ) {
        self.path = path
        self.kind = kind
        self.size = size
        self.modifiedAt = modifiedAt
        self.permissions = permissions
        self.sha256 = sha256
        self.owners = owners
        self.attributes = attributes
        self.markers = markers
        self.foundBy = foundBy
    }
}

/// A systemd unit file or SysV init script.
public struct ServiceUnit: Sendable, Hashable, Codable {
    /// The unit name (`kesl.service`) or init script name (`kav4fs-supervisor`).
    public var name: String
    /// The file path inside the root.
    public var path: String
    /// `systemd` for unit files, `sysv` for `/etc/init.d` scripts.
    public var manager: String
    /// Whether a `.wants`/`.requires` link (or an rc?.d link for SysV) enables it.
    public var enabled: Bool
    /// The unit's `ExecStart=` and `Description=` and similar, where read.
    public var properties: [String: String]
    public var owners: [PackageID]
    public var modifiedAt: Date?

    public init(
        name: String, path: String, manager: String, enabled: Bool, properties: [String: String] = [:],
        owners: [PackageID] = [], modifiedAt: Date? = nil
    ) {
        self.name = name
        self.path = path
        self.manager = manager
        self.enabled = enabled
        self.properties = properties
        self.owners = owners
        self.modifiedAt = modifiedAt
    }
}

/// A certificate the system trusts as a root or intermediate authority.
///
/// One value per distinct certificate (same DER bytes): a certificate seen in an anchor file and
/// again in the generated bundle is one value with two ``locations``.
public struct TrustedCertificate: Sendable, Hashable, Codable {
    /// The first place it was found (anchors are read before bundles, so an anchor when there is one).
    public var path: String
    /// Index of the certificate inside ``path`` (0 for single-certificate files).
    public var index: Int
    /// RFC 4514 rendering, most specific RDN first: `CN=Example Root,O=Example Ltd,C=RU`
    /// (see `DistinguishedNameRenderer` for the exact rules; policies match globs against it).
    public var subject: String
    public var issuer: String
    public var notBefore: Date?
    public var notAfter: Date?
    /// SHA-256 of the DER encoding, lower-case hex without separators.
    public var sha256Fingerprint: String
    /// Upper-case hex of the serial number's magnitude, as `openssl x509 -serial` prints it.
    public var serialNumber: String?
    public var owners: [PackageID]
    /// Every place the certificate was found, the first being ``path``/``index``.
    public var locations: [CertificateLocation]

    public init(
        path: String, index: Int, subject: String, issuer: String, notBefore: Date?, notAfter: Date?,
        sha256Fingerprint: String, serialNumber: String? = nil, owners: [PackageID] = [],
        locations: [CertificateLocation] = []
    ) {
        self.path = path
        self.index = index
        self.subject = subject
        self.issuer = issuer
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.sha256Fingerprint = sha256Fingerprint
        self.serialNumber = serialNumber
        self.owners = owners
        self.locations = locations.isEmpty ? [CertificateLocation(path: path, index: index)] : locations
    }
}

/// One place a trusted certificate was read from.
public struct CertificateLocation: Sendable, Hashable, Codable {
    /// How a trust store holds certificates: a bundle of many, or one anchor file per authority.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A generated bundle (`/etc/ssl/certs/ca-certificates.crt`).
        case bundle
        /// A file in an anchor directory an administrator or package drops certificates into.
        case anchor
    }

    /// The path as found inside the root (a link's own path, not its target).
    public var path: String
    /// Index of the certificate among the certificate blocks of the file, from 0.
    public var index: Int
    /// Line of the PEM `-----BEGIN` line; nil for DER files.
    public var line: Int?
    /// The file actually read, when ``path`` reaches it through symbolic links.
    public var resolvedPath: String?
    public var kind: Kind

    public init(path: String, index: Int, line: Int? = nil, resolvedPath: String? = nil, kind: Kind = .bundle) {
        self.path = path
        self.index = index
        self.line = line
        self.resolvedPath = resolvedPath
        self.kind = kind
    }
}

/// A configured package repository (an update channel).
public struct PackageRepository: Sendable, Hashable, Codable {
    /// `apt`, `yum`, `zypper`, `apk`, `pacman`.
    public var manager: String
    public var path: String
    public var line: Int?
    public var url: String
    public var host: String?
    public var enabled: Bool
    public var properties: [String: String]

    public init(
        manager: String, path: String, line: Int?, url: String, host: String?, enabled: Bool,
        properties: [String: String] = [:]
    ) {
        self.manager = manager
        self.path = path
        self.line = line
        self.url = url
        self.host = host
        self.enabled = enabled
        self.properties = properties
    }
}

/// A running process (live root only).
public struct RunningProcess: Sendable, Hashable, Codable {
    public var pid: Int32
    public var command: String
    public var executable: String?
    public var commandLine: [String]
    public var startedAt: Date?

    public init(pid: Int32, command: String, executable: String?, commandLine: [String], startedAt: Date? = nil) {
        self.pid = pid
        self.command = command
        self.executable = executable
        self.commandLine = commandLine
        self.startedAt = startedAt
    }
}

/// A kernel module, loaded (`/proc/modules`) or present as a file under `lib/modules`.
public struct KernelModule: Sendable, Hashable, Codable {
    public var name: String
    public var loaded: Bool
    public var path: String?
    /// `.modinfo` fields (author, description, version, license, vermagic, ...).
    public var modinfo: [String: String]
    public var owners: [PackageID]

    public init(name: String, loaded: Bool, path: String?, modinfo: [String: String] = [:], owners: [PackageID] = []) {
        self.name = name
        self.loaded = loaded
        self.path = path
        self.modinfo = modinfo
        self.owners = owners
    }
}
