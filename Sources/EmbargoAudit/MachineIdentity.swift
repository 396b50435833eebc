import CSystemd
import Crypto
import EmbargoFileSystem
import Foundation

/// embargo's app-specific machine id: a stable identity for a host that reveals nothing of its
/// /etc/machine-id (machine-id(5) asks that the raw id not be exposed to untrusted parties).
///
/// It is what `sd_id128_get_machine_app_specific()` returns for embargo's fixed app id: the
/// HMAC-SHA256 keyed by the 16 bytes of the machine id over the 16 bytes of the app id, cut to
/// its first 16 bytes, with the UUID version 4 and variant bits set, as systemd does. The live
/// root asks libsystemd; an offline root (an image, a container) is derived here from the
/// root's own /etc/machine-id with the same algorithm, so both agree for the same machine.
/// Written as 32 lower-case hex digits, as `systemd-id128 machine-id --app-specific=` prints it.
public enum MachineIdentity {
    /// embargo's app id (generated once, never to change: it keys every report's machine id).
    public static let appID: [UInt8] = [
        0x10, 0x59, 0xeb, 0x78, 0x20, 0x84, 0x49, 0xcb, 0xb8, 0xb4, 0x15, 0x1e, 0x5a, 0xd4, 0x7c, 0x0d,
    ]

    public static var appIDString: String { hex(appID) }

    /// The app-specific id of the scanned root: libsystemd for the live root, else derived
    /// from the root's /etc/machine-id. Nil when the root has no usable machine id.
    public static func appSpecific(for fileSystem: RootFileSystem) -> String? {
        if fileSystem.isLiveRoot, let live = fromLibsystemd() { return live }
        guard let bytes = try? fileSystem.readFile("/etc/machine-id", limit: 4096) else { return nil }
        return derive(machineIDFile: bytes)
    }

    /// `sd_id128_get_machine_app_specific()` with embargo's app id.
    public static func fromLibsystemd() -> String? {
        var app = sd_id128_t()
        withUnsafeMutableBytes(of: &app) { buffer in
            for (index, byte) in appID.enumerated() { buffer[index] = byte }
        }
        var result = sd_id128_t()
        guard sd_id128_get_machine_app_specific(app, &result) == 0 else { return nil }
        return withUnsafeBytes(of: result) { hex(Array($0)) }
    }

    /// The derivation from the contents of a machine-id file: 32 hex digits, optionally
    /// followed by a newline (machine-id(5)); `uninitialized`, an all-zero id or anything else
    /// gives nil.
    public static func derive(machineIDFile bytes: [UInt8]) -> String? {
        var text = bytes[...]
        if text.last == 0x0A { text = text.dropLast() }
        guard text.count == 32 else { return nil }
        var machineID: [UInt8] = []
        machineID.reserveCapacity(16)
        var index = text.startIndex
        while index < text.endIndex {
            guard let high = hexValue(text[index]), let low = hexValue(text[index + 1]) else { return nil }
            machineID.append(high << 4 | low)
            index += 2
        }
        guard machineID.contains(where: { $0 != 0 }) else { return nil }
        return derive(machineID: machineID)
    }

    /// HMAC-SHA256(key: machine id, message: app id), first 16 bytes, UUID v4 bits.
    public static func derive(machineID: [UInt8], appID: [UInt8] = MachineIdentity.appID) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: appID, using: SymmetricKey(data: machineID))
        var bytes = Array(mac.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return hex(bytes)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x61...0x66: return byte - 0x61 + 10
        case 0x41...0x46: return byte - 0x41 + 10
        default: return nil
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
