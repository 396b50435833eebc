import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation

// Usage: rpm-inventory-bench [--json] [--repeat N] ROOT
// Reads every rpm database under ROOT as `embargo inventory` does and prints one line per
// package (NAME-[EPOCH:]VERSION-RELEASE.ARCH, like `rpm -qa`) or a JSON array with the fields the
// inventory keeps, so the work compared with rpm, syft and trivy includes producing output.
// `--repeat N` reads N more times in the same process and prints the mean time of one read (no
// process start-up) to standard error.
/// Appends a JSON string literal (RFC 8259 escaping) to a byte buffer.
func appendJSONString(_ value: String, to output: inout [UInt8]) {
    output.append(UInt8(ascii: "\""))
    for byte in value.utf8 {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            output.append(UInt8(ascii: "\\"))
            output.append(byte)
        case 0..<0x20:
            let hex = Array("0123456789abcdef".utf8)
            output += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
        default:
            output.append(byte)
        }
    }
    output.append(UInt8(ascii: "\""))
}

var arguments = Array(CommandLine.arguments.dropFirst())
var json = false
var repeats = 0
while let option = arguments.first, option.hasPrefix("--") {
    arguments.removeFirst()
    if option == "--json" { json = true }
    if option == "--repeat", let count = arguments.first.flatMap({ Int($0) }) {
        arguments.removeFirst()
        repeats = count
    }
}
guard let rootPath = arguments.first else {
    FileHandle.standardError.write(Data("usage: rpm-inventory-bench [--json] [--repeat N] ROOT\n".utf8))
    exit(2)
}
do {
    let fileSystem = try RootFileSystem(root: rootPath)
    let output = RpmDatabaseReader(fileSystem: fileSystem).read()
    if repeats > 0 {
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<repeats { _ = RpmDatabaseReader(fileSystem: fileSystem).read() }
        }
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        FileHandle.standardError.write(Data("in-process read: \(milliseconds / Double(repeats)) ms\n".utf8))
    }
    for issue in output.inventory.issues {
        FileHandle.standardError.write(Data("\(issue)\n".utf8))
    }
    var text = ""
    if json {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, package) in output.inventory.packages.enumerated() {
            var record = package.metadata
            record["name"] = package.name
            record["version"] = package.version
            record["release"] = package.release
            record["epoch"] = package.epoch.map(String.init)
            record["arch"] = package.arch
            record["vendor"] = package.vendor
            record["packager"] = package.packager
            record["sourceRPM"] = package.sourcePackage
            record["installedAt"] = package.installedAt.map { RFC3339.format($0.date) }
            record["source"] = package.source
            bytes += Array((index == 0 ? "{" : ",\n{").utf8)
            for (position, field) in record.sorted(by: { $0.key < $1.key }).enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                appendJSONString(field.key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                appendJSONString(field.value, to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes += Array("]\n".utf8)
        text = String(decoding: bytes, as: UTF8.self)
    } else {
        text.reserveCapacity(output.inventory.packages.count * 48)
        for package in output.inventory.packages {
            text += package.name + "-" + package.fullVersion + (package.arch.map { "." + $0 } ?? "") + "\n"
        }
    }
    FileHandle.standardOutput.write(Data(text.utf8))
} catch {
    FileHandle.standardError.write(Data("\(rootPath): \(error)\n".utf8))
    exit(1)
}
