import EmbargoAudit
import EmbargoFileSystem
import Foundation
import TestSupport
import Testing

/// embargo's app-specific machine id: libsystemd on the live root and the offline derivation
/// from a root's /etc/machine-id must agree, and match `systemd-id128`.
@Suite("app-specific machine id")
struct MachineIdentityTests {
    static var hasMachineID: Bool {
        ((try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines).count == 32
    }

    @Test("libsystemd and the derivation from /etc/machine-id agree on this machine", .enabled(if: hasMachineID, "needs /etc/machine-id"))
    func liveAndOfflineAgree() throws {
        let live = try #require(MachineIdentity.fromLibsystemd())
        let file = try Data(contentsOf: URL(fileURLWithPath: "/etc/machine-id"))
        let derived = try #require(MachineIdentity.derive(machineIDFile: [UInt8](file)))
        #expect(live == derived)
        let raw = String(decoding: file, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(live != raw, "never the raw machine id")
        // Both paths through RootFileSystem: / asks libsystemd, a copy of /etc as a root derives.
        #expect(MachineIdentity.appSpecific(for: try RootFileSystem(root: "/")) == live)
        let root = try TemporaryDirectory(prefix: "embargo-root")
        try root.write("etc/machine-id", file)
        #expect(MachineIdentity.appSpecific(for: try RootFileSystem(root: root.path)) == live)
    }

    @Test(
        "matches systemd-id128 machine-id --app-specific",
        .enabled(if: hasMachineID && Command.isAvailable("systemd-id128"), "needs systemd-id128 and /etc/machine-id"))
    func matchesSystemdTool() throws {
        let output = try Command.check("systemd-id128", ["machine-id", "--app-specific=\(MachineIdentity.appIDString)"])
        #expect(MachineIdentity.fromLibsystemd() == output.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("an offline machine id: HMAC-SHA256 as Python's hmac computes it, cut to 16 bytes with UUID v4 bits")
    func offlineDerivation() throws {
        let machineID = Array(0..<16).map { UInt8($0 * 13 + 7) }
        let id = MachineIdentity.derive(machineID: machineID)
        let script = """
            import hmac, hashlib, sys
            key = bytes.fromhex(sys.argv[1]); app = bytes.fromhex(sys.argv[2])
            b = bytearray(hmac.new(key, app, hashlib.sha256).digest()[:16])
            b[6] = (b[6] & 0x0F) | 0x40; b[8] = (b[8] & 0x3F) | 0x80
            print(b.hex())
            """
        let hex = machineID.map { String(format: "%02x", $0) }.joined()
        let python = try Command.check("python3", ["-c", script, hex, MachineIdentity.appIDString])
        #expect(id == python.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let characters = Array(id)
        #expect(characters[12] == "4", "UUID version 4 nibble")
        #expect("89ab".contains(characters[16]), "variant 10")
        #expect(MachineIdentity.derive(machineIDFile: Array((hex + "\n").utf8)) == id)
        #expect(MachineIdentity.derive(machineIDFile: Array(hex.uppercased().utf8)) == id)
    }

    @Test("unusable machine-id files give no id", arguments: ["uninitialized\n", "", "\n", String(repeating: "0", count: 32) + "\n", "xyz", String(repeating: "1", count: 31), String(repeating: "g", count: 32)])
    func unusable(contents: String) {
        #expect(MachineIdentity.derive(machineIDFile: Array(contents.utf8)) == nil)
    }
}
