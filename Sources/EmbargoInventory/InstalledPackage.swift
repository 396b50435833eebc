import Foundation

/// The package ecosystems the collectors read. The raw values appear in the inventory JSON.
public enum PackageType: String, Sendable, Codable, CaseIterable, Hashable, Comparable {
    case deb
    case opkg
    case rpm
    case apk
    case alpm
    case snap
    case flatpak

    public static func < (lhs: PackageType, rhs: PackageType) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How installed a package is, reduced from each format's own vocabulary (dpkg's `Status:` third
/// word, for example) so that rules can treat every ecosystem alike.
public enum PackageState: String, Sendable, Codable, Hashable {
    /// Fully installed (dpkg `installed`, every RPM in the database, every apk/pacman entry).
    case installed
    /// Removed, but configuration files remain (dpkg `config-files`): a remnant.
    case configFiles = "config-files"
    /// Unpacked, half-installed, half-configured or trigger-pending: partly on disk.
    case partial
    /// Known to the database but not installed (dpkg `not-installed`).
    case notInstalled = "not-installed"

    /// Whether the package has files of its own on disk (not only configuration remnants).
    public var hasProgramFiles: Bool { self == .installed || self == .partial }
}

/// Where a date in the inventory came from; auditors weigh a database timestamp above a file mtime.
public enum DateSource: String, Sendable, Codable, Hashable {
    case dpkgLog = "dpkg-log"
    case dpkgInfoMtime = "dpkg-info-mtime"
    case opkgInstalledTime = "opkg-installed-time"
    case rpmInstallTime = "rpm-installtime"
    case pacmanInstallDate = "pacman-installdate"
    /// The `installed` line of `/var/log/pacman.log` that began the current installation.
    case pacmanLog = "pacman-log"
    case apkInstalledMtime = "apk-installed-mtime"
    case snapdState = "snapd-state"
    case flatpakDeploy = "flatpak-deploy"
    case fileMtime = "file-mtime"
}

/// A date together with the place it was read from.
public struct RecordedDate: Sendable, Codable, Hashable, Comparable {
    public var date: Date
    public var source: DateSource

    public init(_ date: Date, source: DateSource) {
        self.date = date
        self.source = source
    }

    public static func < (lhs: RecordedDate, rhs: RecordedDate) -> Bool { lhs.date < rhs.date }
}

/// Identity of one installed package, stable across scans.
public struct PackageID: Sendable, Codable, Hashable, Comparable, CustomStringConvertible {
    public var type: PackageType
    public var name: String
    public var arch: String?
    /// The full version string, including release and epoch where the format has them.
    public var version: String

    public init(type: PackageType, name: String, arch: String?, version: String) {
        self.type = type
        self.name = name
        self.arch = arch
        self.version = version
    }

    public var description: String {
        "\(type.rawValue):\(name)" + (arch.map { ":\($0)" } ?? "") + "@\(version)"
    }

    public static func < (lhs: PackageID, rhs: PackageID) -> Bool { lhs.description < rhs.description }
}

/// One package from one package database.
///
/// The shape is the same for every ecosystem; fields a format does not have stay `nil`.
public struct InstalledPackage: Sendable, Hashable, Codable {
    public var type: PackageType
    public var name: String
    /// The version as the format writes it: dpkg's whole `Version:` (with epoch and revision),
    /// RPM's `VERSION` tag alone (release and epoch are separate fields).
    public var version: String
    /// RPM/pacman/apk release (package revision) where the format keeps it apart from `version`.
    public var release: String?
    /// The epoch as a number, or nil when the package has none.
    public var epoch: Int?
    public var arch: String?
    /// RPM `Vendor`.
    public var vendor: String?
    /// dpkg/opkg/apk `Maintainer`.
    public var maintainer: String?
    /// RPM/pacman `Packager`.
    public var packager: String?
    /// snap publisher, flatpak origin remote.
    public var publisher: String?
    /// dpkg `Source`, RPM `SOURCERPM`, apk `origin`, pacman `%BASE%`.
    public var sourcePackage: String?
    /// The format's own status text, verbatim (dpkg `Status:`).
    public var status: String?
    public var state: PackageState
    /// When the package was first installed.
    public var installedAt: RecordedDate?
    /// When the package was last installed, upgraded or reinstalled.
    public var updatedAt: RecordedDate?
    /// The database file this entry was read from, as a path inside the root.
    public var source: String
    /// Other fields worth keeping as evidence (homepage, license, summary, revision, ...).
    public var metadata: [String: String]

    public init(
        type: PackageType, name: String, version: String, release: String? = nil, epoch: Int? = nil,
        arch: String? = nil, vendor: String? = nil, maintainer: String? = nil, packager: String? = nil,
        publisher: String? = nil, sourcePackage: String? = nil, status: String? = nil,
        state: PackageState = .installed, installedAt: RecordedDate? = nil, updatedAt: RecordedDate? = nil,
        source: String, metadata: [String: String] = [:]
    ) {
        self.type = type
        self.name = name
        self.version = version
        self.release = release
        self.epoch = epoch
        self.arch = arch
        self.vendor = vendor
        self.maintainer = maintainer
        self.packager = packager
        self.publisher = publisher
        self.sourcePackage = sourcePackage
        self.status = status
        self.state = state
        self.installedAt = installedAt
        self.updatedAt = updatedAt
        self.source = source
        self.metadata = metadata
    }

    /// The version with release and epoch, as the ecosystem prints it (`1:2.3-4.el9`).
    public var fullVersion: String {
        switch type {
        case .rpm, .alpm, .apk:
            var text = version
            if let release, !release.isEmpty { text += "-" + release }
            if let epoch, type != .apk { text = "\(epoch):" + text }
            return text
        default:
            return version
        }
    }

    public var id: PackageID { PackageID(type: type, name: name, arch: arch, version: fullVersion) }

    /// The vendor-like fields of the package, for maintainer/vendor pattern matching.
    public var attributionFields: [(field: String, value: String)] {
        var fields: [(String, String)] = []
        if let vendor { fields.append(("vendor", vendor)) }
        if let maintainer { fields.append(("maintainer", maintainer)) }
        if let packager { fields.append(("packager", packager)) }
        if let publisher { fields.append(("publisher", publisher)) }
        return fields
    }
}
