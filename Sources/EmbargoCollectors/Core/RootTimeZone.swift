import EmbargoFileSystem
import Foundation

/// The time zone a root's programs write local times in: `/etc/localtime`'s link target, then
/// `/etc/timezone`, then `TZ` for the live root, else UTC.
enum RootTimeZone {
    static func detect(_ fileSystem: RootFileSystem) -> TimeZone {
        if let target = try? fileSystem.symlinkTarget("/etc/localtime"),
            let range = target.range(of: "zoneinfo/"),
            let zone = TimeZone(identifier: String(target[range.upperBound...]))
        {
            return zone
        }
        if let bytes = try? fileSystem.readFile("/etc/timezone", limit: 4096) {
            let name = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if let zone = TimeZone(identifier: name) { return zone }
        }
        if fileSystem.isLiveRoot, let name = ProcessInfo.processInfo.environment["TZ"],
            let zone = TimeZone(identifier: name.hasPrefix(":") ? String(name.dropFirst()) : name)
        {
            return zone
        }
        return TimeZone(identifier: "UTC")!
    }
}
