import EmbargoInventory
import Foundation

/// One package action from `/var/log/dpkg.log`.
public struct DpkgLogEvent: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable {
        case install
        case upgrade
        case remove
        case purge
    }

    public var date: Date
    public var action: Action
    public var package: String
    public var architecture: String?
    public var version: String
}

/// Reads dpkg's action log. Its timestamps are the host's local time without a zone, so the
/// root's time zone is needed to turn them into instants.
public struct DpkgLogParser: Sendable {
    let timeZone: RootTimeZone

    public init(timeZone: RootTimeZone) {
        self.timeZone = timeZone
    }

    /// Parses every `install`/`upgrade`/`remove`/`purge` line; other lines are skipped.
    /// Returns the number of lines that looked like actions but could not be read.
    public func parse(_ bytes: [UInt8], into events: inout [DpkgLogEvent]) -> Int {
        var malformed = 0
        var offsets: [Int: Int] = [:]
        var start = 0
        let count = bytes.count
        bytes.withUnsafeBufferPointer { buffer in
            while start < count {
                var end = start
                while end < count && buffer[end] != 0x0A { end += 1 }
                defer { start = end + 1 }
                // "YYYY-MM-DD HH:MM:SS action ..." — the action starts at column 20.
                guard end - start > 21, buffer[start + 4] == UInt8(ascii: "-"), buffer[start + 10] == 0x20 else { continue }
                let actionStart = start + 20
                var actionEnd = actionStart
                while actionEnd < end && buffer[actionEnd] != 0x20 { actionEnd += 1 }
                let actionText = String(decoding: UnsafeBufferPointer(rebasing: buffer[actionStart..<actionEnd]), as: UTF8.self)
                guard let action = DpkgLogEvent.Action(rawValue: actionText) else { continue }
                let rest = String(decoding: UnsafeBufferPointer(rebasing: buffer[min(actionEnd + 1, end)..<end]), as: UTF8.self)
                let words = rest.split(separator: " ")
                guard words.count >= 3,
                    let local = localSeconds(buffer, start)
                else {
                    malformed += 1
                    continue
                }
                let hourKey = local / 3600
                let offset: Int
                if let cached = offsets[hourKey] {
                    offset = cached
                } else {
                    offset = local - timeZone.utcSeconds(fromLocal: local)
                    offsets[hourKey] = offset
                }
                let nameAndArch = words[0].split(separator: ":", maxSplits: 1)
                events.append(
                    DpkgLogEvent(
                        date: Date(timeIntervalSince1970: Double(local - offset)), action: action,
                        package: String(nameAndArch[0]), architecture: nameAndArch.count == 2 ? String(nameAndArch[1]) : nil,
                        version: String(words[action == .remove || action == .purge ? 1 : 2])))
            }
        }
        return malformed
    }

    /// Seconds since the epoch of the local wall-clock time at the start of a line, as if it were UTC.
    private func localSeconds(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        func digits(_ from: Int, _ length: Int) -> Int? {
            var value = 0
            for index in from..<from + length {
                let byte = buffer[index]
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = digits(start, 4), let month = digits(start + 5, 2), let day = digits(start + 8, 2),
            let hour = digits(start + 11, 2), let minute = digits(start + 14, 2), let second = digits(start + 17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        return RFC3339.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }
}

/// When each package was installed and last changed, replayed from dpkg's log in order.
public struct DpkgInstallHistory: Sendable {
    public struct Dates: Sendable, Hashable {
        /// The install that began the current installation (reset by remove/purge).
        public var installedAt: Date?
        public var updatedAt: Date?
    }

    private var byKey: [String: Dates] = [:]

    /// - Parameter events: every event, oldest log first; order within a log is kept.
    public init(events: [DpkgLogEvent]) {
        for event in events.sorted(by: { $0.date < $1.date }) {
            for key in Self.keys(package: event.package, architecture: event.architecture) {
                var dates = byKey[key] ?? Dates()
                switch event.action {
                case .install:
                    if dates.installedAt == nil { dates.installedAt = event.date }
                    dates.updatedAt = event.date
                case .upgrade:
                    // An upgrade without an earlier install means the install is in a log that
                    // was rotated away: the install date stays unknown rather than wrong.
                    dates.updatedAt = event.date
                case .remove, .purge:
                    dates = Dates()
                }
                byKey[key] = dates
            }
        }
    }

    private static func keys(package: String, architecture: String?) -> [String] {
        guard let architecture else { return [package] }
        return [package + ":" + architecture, package]
    }

    /// Dates for a package, by `name:arch` first, then by name alone (old logs have no arch).
    public func dates(package: String, architecture: String?) -> Dates? {
        if let architecture, let dates = byKey[package + ":" + architecture] { return dates }
        return byKey[package]
    }

    public var isEmpty: Bool { byKey.isEmpty }
}
