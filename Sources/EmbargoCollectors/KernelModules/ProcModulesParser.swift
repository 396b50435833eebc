/// One line of `/proc/modules`.
public struct LoadedModule: Sendable, Hashable {
    public var name: String
    public var size: Int?
    public var useCount: Int?
    /// Modules that use this one (`-` when none).
    public var usedBy: [String]
    /// `Live`, `Loading` or `Unloading`.
    public var state: String?
    /// Taint flags in parentheses after the address (`O` out-of-tree, `E` unsigned, `P` proprietary, ...).
    public var taint: String?
}

/// Why a `/proc/modules` line was skipped.
public struct ProcModulesError: Error, Sendable, Equatable {
    public var line: Int
    public var reason: String
}

/// Parses `/proc/modules`: `name size refcount usedby, state address [(taints)]`, one module a line
/// (see `proc(5)`, `lsmod`). A line without at least a name and a size is skipped and reported.
public enum ProcModulesParser {
    public static func parse(_ bytes: [UInt8]) -> (modules: [LoadedModule], errors: [ProcModulesError]) {
        var modules: [LoadedModule] = []
        var errors: [ProcModulesError] = []
        for (index, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true).map {
                String(decoding: $0, as: UTF8.self)
            }
            if fields.isEmpty { continue }
            guard fields.count >= 2, let size = Int(fields[1]) else {
                errors.append(ProcModulesError(line: index + 1, reason: "expected a module name and a size"))
                continue
            }
            var module = LoadedModule(name: fields[0], size: size, useCount: nil, usedBy: [], state: nil, taint: nil)
            if fields.count > 2 { module.useCount = Int(fields[2]) }
            if fields.count > 3, fields[3] != "-" {
                module.usedBy = fields[3].split(separator: ",").map(String.init).filter { !$0.isEmpty }
            }
            if fields.count > 4 { module.state = fields[4] }
            if let last = fields.last, fields.count > 6, last.hasPrefix("("), last.hasSuffix(")") {
                module.taint = String(last.dropFirst().dropLast())
            }
            modules.append(module)
        }
        return (modules, errors)
    }
}
