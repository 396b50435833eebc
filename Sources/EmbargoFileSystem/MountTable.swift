#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The file system type of each mounted device, from `/proc/self/mountinfo`, so a walk can tell a
/// disk from `/proc`, a network share or a FUSE daemon by what it is, not by where it is mounted.
///
/// Keyed by device number (`major:minor`, the same number `stat` reports as `st_dev`), so the same
/// table serves the live root and an image mounted somewhere below `/`.
public struct MountTable: Sendable, Hashable {
    /// File system type by device number.
    public private(set) var types: [UInt64: String]

    public init(types: [UInt64: String] = [:]) {
        self.types = types
    }

    /// The type of the file system holding a device, nil when no mount lists it (a nested btrfs
    /// subvolume, a table that could not be read).
    public func type(ofDevice device: UInt64) -> String? {
        types[device]
    }

    /// Parses the text of `/proc/<pid>/mountinfo` (proc(5)): `id parent major:minor root mountpoint
    /// options [optional...] - fstype source superoptions`. Lines that do not have that shape are
    /// skipped: the table only narrows what a walk enters.
    public static func parse(mountinfo bytes: [UInt8]) -> MountTable {
        var types: [UInt64: String] = [:]
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            let fields = bytes[lineStart..<lineEnd].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
            lineStart = lineEnd + 1
            guard fields.count >= 8, let separator = fields.firstIndex(where: { $0.elementsEqual([UInt8(ascii: "-")]) }),
                separator >= 6, separator + 1 < fields.count
            else { continue }
            let numbers = fields[2].split(separator: UInt8(ascii: ":"))
            guard numbers.count == 2, let major = decimal(numbers[0]), let minor = decimal(numbers[1]) else { continue }
            types[makeDevice(major: major, minor: minor)] = String(decoding: fields[separator + 1], as: UTF8.self)
        }
        return MountTable(types: types)
    }

    /// Reads the running system's mount table; an empty table when it cannot be read (no `/proc`).
    public static func current() -> MountTable {
        let descriptor = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return MountTable() }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        // A host with a few thousand mounts has well under this; the cap keeps a runaway table bounded.
        while bytes.count < 16 << 20 {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return parse(mountinfo: bytes)
    }

    private static func decimal(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(digit - UInt8(ascii: "0"))
        }
        return value
    }

    /// glibc's `makedev` encoding, which is what `st_dev` holds on Linux.
    public static func makeDevice(major: UInt64, minor: UInt64) -> UInt64 {
        ((major & 0xFFF) << 8) | ((major & ~0xFFF) << 32) | (minor & 0xFF) | ((minor & ~0xFF) << 12)
    }
}

/// Which file system types a walk never enters, whatever `crossFileSystems` says.
///
/// Skipped:
/// - kernel pseudo file systems (`proc`, `sysfs`, `devtmpfs`, `cgroup*`, `debugfs`, ...): their
///   files are not software, some block or never end when read;
/// - `autofs`: entering a trigger directory mounts it, possibly from the network;
/// - network and cluster file systems (`nfs*`, `cifs`, `smb3`, `ceph`, `9p`, ...): a walk of every
///   share from every host every few hours is the load admins complain about, and a dead server
///   hangs the walk;
/// - every FUSE file system (`fuse`, `fuse.*`: sshfs, rclone, s3fs, gvfs, lxcfs, a running AppImage)
///   except `fuseblk`: a user-space daemon answers, and it may be remote, slow or hostile.
///
/// Walked: disk file systems, `overlay` (container roots), `squashfs`/`iso9660` images, `fuseblk`
/// (ntfs-3g, exfat on a local disk) and `tmpfs`/`ramfs`: they hold real files, and `/dev/shm` is a
/// classic place to run a binary from. `/tmp` is left out by the default exclusions, not by type.
public struct FileSystemTypeFilter: Sendable, Hashable {
    public var skippedTypes: Set<String>
    public var skippedPrefixes: [String]
    public var allowedTypes: Set<String>

    public init(skippedTypes: Set<String>, skippedPrefixes: [String], allowedTypes: Set<String>) {
        self.skippedTypes = skippedTypes
        self.skippedPrefixes = skippedPrefixes
        self.allowedTypes = allowedTypes
    }

    public static let standard = FileSystemTypeFilter(
        skippedTypes: [
            // Kernel pseudo file systems.
            "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "debugfs", "tracefs", "pstore",
            "bpf", "configfs", "fusectl", "mqueue", "hugetlbfs", "binfmt_misc", "efivarfs", "selinuxfs", "nsfs",
            "rpc_pipefs", "nfsd", "sockfs", "pipefs", "autofs",
            // Network and cluster file systems.
            "cifs", "smb3", "smbfs", "ncpfs", "afs", "ceph", "glusterfs", "9p", "lustre", "gpfs", "beegfs", "davfs",
            "sshfs", "coda", "ocfs2", "gfs2", "virtiofs",
        ],
        skippedPrefixes: ["nfs", "fuse."],
        allowedTypes: ["fuseblk"]
    )

    public func skips(_ type: String) -> Bool {
        if allowedTypes.contains(type) { return false }
        if type == "fuse" || skippedTypes.contains(type) { return true }
        return skippedPrefixes.contains { type.hasPrefix($0) }
    }
}
