import EmbargoFileSystem
import EmbargoReports
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Who the scanned root is: host name and OS from the root's own files; kernel and architecture
/// from `uname` only for the live root (an image's kernel is not the running one).
enum HostIdentity {
    static func read(_ fileSystem: RootFileSystem) -> HostInfo {
        HostInfo(
            hostname: hostname(fileSystem), osRelease: osRelease(fileSystem),
            kernel: fileSystem.isLiveRoot ? uname().release : nil,
            architecture: fileSystem.isLiveRoot ? uname().machine : nil, root: fileSystem.rootDescription,
            machineID: MachineIdentity.appSpecific(for: fileSystem))
    }

    static func hostname(_ fileSystem: RootFileSystem) -> String? {
        if fileSystem.isLiveRoot {
            var buffer = [CChar](repeating: 0, count: 256)
            if gethostname(&buffer, buffer.count) == 0 {
                return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        guard let bytes = try? fileSystem.readFile("/etc/hostname", limit: 4096) else { return nil }
        let name = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return name.isEmpty ? nil : name
    }

    static func osRelease(_ fileSystem: RootFileSystem) -> OSRelease? {
        for path in ["/etc/os-release", "/usr/lib/os-release"] {
            guard let bytes = try? fileSystem.readFile(path, limit: 64 << 10) else { continue }
            var values: [String: String] = [:]
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                guard let equals = line.firstIndex(of: "="), !line.hasPrefix("#") else { continue }
                var value = String(line[line.index(after: equals)...])
                if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                    value = String(value.dropFirst().dropLast())
                }
                values[String(line[..<equals])] = value
            }
            return OSRelease(id: values["ID"], versionID: values["VERSION_ID"], prettyName: values["PRETTY_NAME"])
        }
        return nil
    }

    static func uname() -> (release: String, machine: String) {
        var names = utsname()
        _ = Glibc.uname(&names)
        func text<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return (text(names.release), text(names.machine))
    }
}
