import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import TestSupport
import Testing

/// Local times in dpkg and pacman logs are read in the root's own zone, from its TZif files.
@Suite("root time zone")
struct RootTimeZoneTests {
    static let zones = [
        "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Australia/Sydney", "Australia/Lord_Howe",
        "Pacific/Auckland", "Asia/Kolkata", "Asia/Tokyo", "America/Sao_Paulo", "Europe/London", "UTC",
    ]

    static func root(localtime zone: String, copied: Bool) throws -> TemporaryDirectory {
        let root = try TemporaryDirectory()
        let source = URL(fileURLWithPath: "/usr/share/zoneinfo/\(zone)").resolvingSymlinksInPath()
        if copied {
            try root.copy(source, to: "etc/localtime")
        } else {
            try root.copy(source, to: "usr/share/zoneinfo/\(zone)")
            try root.symlink("etc/localtime", to: "/usr/share/zoneinfo/\(zone)")
        }
        return root
    }

    @Test(
        "the root's TZif file gives the same offsets as the system time zone database, 1975-2040",
        .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/zoneinfo/Europe/Berlin"), "needs tzdata"),
        arguments: zones)
    func offsetsAgree(zone: String) throws {
        let root = try Self.root(localtime: zone, copied: true)
        let local = RootTimeZone.detect(try RootFileSystem(root: root.path))
        #expect(local.description == "/etc/localtime")
        let reference = try #require(TimeZone(identifier: zone))
        var mismatches: [String] = []
        // Every 6 hours and 7 minutes over 65 years crosses each transition's neighbourhood.
        var instant = 157_766_400  // 1975-01-01
        while instant < 2_208_988_800 {  // 2040-01-01
            let ours = local.secondsFromGMT(atUTC: instant)
            let theirs = reference.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant)))
            if ours != theirs && mismatches.count < 5 { mismatches.append("\(RFC3339Text(instant)): \(ours) vs \(theirs)") }
            instant += 6 * 3600 + 7 * 60
        }
        #expect(mismatches.isEmpty, "\(zone): \(mismatches)")
    }

    @Test("a link to the zone inside the root, and /etc/timezone naming it, are followed")
    func linkedAndNamed() throws {
        let linked = try Self.root(localtime: "America/New_York", copied: false)
        let zone = RootTimeZone.detect(try RootFileSystem(root: linked.path))
        #expect(zone.description == "/etc/localtime")
        #expect(zone.secondsFromGMT(atUTC: 1_720_000_000) == -4 * 3600)  // July 2024: EDT

        let named = try TemporaryDirectory()
        try named.write("etc/timezone", "Asia/Kolkata\n")
        try named.copy(URL(fileURLWithPath: "/usr/share/zoneinfo/Asia/Kolkata"), to: "usr/share/zoneinfo/Asia/Kolkata")
        let kolkata = RootTimeZone.detect(try RootFileSystem(root: named.path))
        #expect(kolkata.description == "/usr/share/zoneinfo/Asia/Kolkata")
        #expect(kolkata.secondsFromGMT(atUTC: 1_720_000_000) == 19_800)
    }

    @Test("no zone configured, or a damaged file: UTC, never a crash")
    func fallbacks() throws {
        let empty = try TemporaryDirectory()
        #expect(RootTimeZone.detect(try RootFileSystem(root: empty.path)).secondsFromGMT(atUTC: 0) == 0)
        let damaged = try TemporaryDirectory()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/Europe/Berlin"))
        for cut in stride(from: 0, to: bytes.count, by: 37) {
            try damaged.write("etc/localtime", bytes.prefix(cut))
            _ = RootTimeZone.detect(try RootFileSystem(root: damaged.path)).utcSeconds(fromLocal: 1_720_000_000)
        }
        try damaged.write("etc/localtime", "not a zone file")
        #expect(RootTimeZone.detect(try RootFileSystem(root: damaged.path)).description.hasPrefix("UTC"))
    }

    @Test("local wall-clock times convert to instants across a DST change")
    func localToUTC() throws {
        let root = try Self.root(localtime: "Europe/Berlin", copied: true)
        let zone = RootTimeZone.detect(try RootFileSystem(root: root.path))
        // 2024-03-31 01:30 CET is 00:30Z; 03:30 CEST is 01:30Z.
        let before = RFC3339Seconds(2024, 3, 31, 1, 30)
        let after = RFC3339Seconds(2024, 3, 31, 3, 30)
        #expect(zone.utcSeconds(fromLocal: before) == RFC3339Seconds(2024, 3, 31, 0, 30))
        #expect(zone.utcSeconds(fromLocal: after) == RFC3339Seconds(2024, 3, 31, 1, 30))
    }
}

func RFC3339Seconds(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int) -> Int {
    EmbargoInventory.RFC3339.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60
}

func RFC3339Text(_ seconds: Int) -> String {
    EmbargoInventory.RFC3339.format(Date(timeIntervalSince1970: Double(seconds)))
}
