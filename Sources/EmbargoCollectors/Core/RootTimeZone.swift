import EmbargoFileSystem
import Foundation

/// The time zone a root's programs write local times in (dpkg.log, pacman.log have no offsets).
///
/// Found from the root's own files, in this order: `/etc/localtime` read as a TZif file (a link or
/// a copy, as containers often have), the zone named by `/etc/timezone` in the root's
/// `/usr/share/zoneinfo`, the zone named by the link or `/etc/timezone` in the host's tzdata, `TZ`
/// for the live root; else UTC.
public struct RootTimeZone: Sendable {
    private enum Source: Sendable {
        case tzif(TZifZone)
        case foundation(TimeZone)
        case utc
    }

    private let source: Source
    /// How the zone was found, for messages.
    public let description: String

    public static let utc = RootTimeZone(source: .utc, description: "UTC (no time zone configured)")

    public static func detect(_ fileSystem: RootFileSystem) -> RootTimeZone {
        if let bytes = try? fileSystem.readFile("/etc/localtime", limit: 1 << 20), let zone = try? TZifZone(bytes: bytes) {
            return RootTimeZone(source: .tzif(zone), description: "/etc/localtime")
        }
        let configuredName: String? = {
            if let target = try? fileSystem.symlinkTarget("/etc/localtime"), let range = target.range(of: "zoneinfo/") {
                return String(target[range.upperBound...])
            }
            if let bytes = try? fileSystem.readFile("/etc/timezone", limit: 4096) {
                let name = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                return name.isEmpty ? nil : name
            }
            if fileSystem.isLiveRoot, let name = ProcessInfo.processInfo.environment["TZ"] {
                return name.hasPrefix(":") ? String(name.dropFirst()) : name
            }
            return nil
        }()
        guard let name = configuredName, !name.contains("..") else { return .utc }
        if let bytes = try? fileSystem.readFile("/usr/share/zoneinfo/" + name, limit: 1 << 20),
            let zone = try? TZifZone(bytes: bytes)
        {
            return RootTimeZone(source: .tzif(zone), description: "/usr/share/zoneinfo/\(name)")
        }
        if let zone = TimeZone(identifier: name) {
            return RootTimeZone(source: .foundation(zone), description: "\(name) (host tzdata)")
        }
        return .utc
    }

    /// The UTC offset in force at an instant.
    public func secondsFromGMT(atUTC seconds: Int) -> Int {
        switch source {
        case .tzif(let zone): return zone.secondsFromGMT(atUTC: Int64(seconds))
        case .foundation(let zone): return zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
        case .utc: return 0
        }
    }

    /// The instant of a local wall-clock time (given as seconds since the epoch as if it were UTC).
    ///
    /// The offset depends on the instant, which depends on the offset: two rounds settle it
    /// everywhere but inside a daylight-saving gap or overlap, where the answer is at most an hour off.
    public func utcSeconds(fromLocal local: Int) -> Int {
        var offset = secondsFromGMT(atUTC: local)
        offset = secondsFromGMT(atUTC: local - offset)
        return local - offset
    }
}
