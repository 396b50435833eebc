import EmbargoFileSystem

/// What reading a file's contents taught a walk: enough to decide, on a later scan, whether to
/// record it without reading it again.
struct FileFacts: Sendable, Hashable {
    enum Content: UInt8, Sendable, Hashable {
        case other = 0
        case elf = 1
        case script = 2
    }

    var content: Content
    /// `elf.*`, `appimage*`, `shebang`, `package.*` (from `.note.package`), `kmod.*` (from `.modinfo`).
    var attributes: [String: String]
    /// Markers of the scan plan found as whole tokens.
    var markers: [String]
    /// Lower-case hex, when the file was hashed.
    var sha256: String?
    var hasPackageNote: Bool

    static let other = FileFacts(content: .other, attributes: [:], markers: [], sha256: nil, hasPackageNote: false)
}

/// The identity of a file's contents as far as `stat` can tell: a file whose device, inode, size,
/// modification and change times are all the same has not been written since (the change time
/// also moves on rename, chmod and link, and cannot be set back by a user).
struct FileIdentity: Sendable, Hashable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modificationSeconds: Int64
    var modificationNanoseconds: Int64
    var changeSeconds: Int64
    var changeNanoseconds: Int64

    init(
        device: UInt64, inode: UInt64, size: Int64, modificationSeconds: Int64, modificationNanoseconds: Int64,
        changeSeconds: Int64, changeNanoseconds: Int64
    ) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modificationSeconds = modificationSeconds
        self.modificationNanoseconds = modificationNanoseconds
        self.changeSeconds = changeSeconds
        self.changeNanoseconds = changeNanoseconds
    }

    init(_ status: FileStatus) {
        self.init(
            device: status.device, inode: status.inode, size: status.size, modificationSeconds: status.modificationSeconds,
            modificationNanoseconds: status.modificationNanoseconds, changeSeconds: status.changeSeconds,
            changeNanoseconds: status.changeNanoseconds)
    }
}
