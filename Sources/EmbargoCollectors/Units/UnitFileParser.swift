/// Reads the settings worth showing as evidence from systemd unit files (systemd.syntax(7)):
/// `[Section]` headers, `Key=Value` with optional white space around `=`, `#` and `;` comments,
/// and lines continued with a trailing backslash.
///
/// Settings are applied in file order, main file first and then drop-ins, as systemd does: an
/// empty assignment (`ExecStart=`) clears a setting, and of several assignments the last is kept
/// (for list settings such as `ExecStart` systemd keeps them all; the last is what evidence needs).
/// Comment lines inside a continued line are skipped, as systemd skips them.
enum UnitFileParser {
    /// Settings recorded for units the plan names, with the section each belongs to.
    static let recordedKeys: [String: String] = [
        "Description": "Unit", "Documentation": "Unit", "ExecStart": "Service", "PIDFile": "Service",
        "User": "Service", "Type": "Service", "WantedBy": "Install", "Alias": "Install",
    ]

    static let maximumLogicalLineBytes = 64 << 10

    /// Applies one file's assignments to `properties`.
    static func apply(_ bytes: [UInt8], to properties: inout [String: String]) {
        var section = ""
        var pending = ""
        for line in TextLines(bytes: bytes) {
            // Continuation lines lose their indentation, so a wrapped ExecStart reads as one line.
            var text = Substring(line.text).drop { $0 == " " || $0 == "\t" }
            if text.hasPrefix("#") || text.hasPrefix(";") { continue }
            if text.hasSuffix("\\") {
                text = text.dropLast()
                if pending.utf8.count < maximumLogicalLineBytes { pending += text + " " }
                continue
            }
            let logical = pending + text
            pending = ""
            let content = logical.trimmingBlanks()
            if content.isEmpty { continue }
            if content.hasPrefix("[") && content.hasSuffix("]") {
                section = String(content.dropFirst().dropLast())
                continue
            }
            guard let equals = content.firstIndex(of: "=") else { continue }
            let key = content[..<equals].trimmingBlanks()
            guard let wantedSection = recordedKeys[key], wantedSection == section else { continue }
            let value = content[content.index(after: equals)...].trimmingBlanks()
            if value.isEmpty {
                properties[key] = nil
            } else {
                properties[key] = value
            }
        }
    }
}

/// The comment header of a SysV init script: the LSB block (`### BEGIN INIT INFO` ...
/// `### END INIT INFO`) and Red Hat's chkconfig comments (`# chkconfig:`, `# description:`).
enum InitScriptHeaderParser {
    static let lsbKeys: [String: String] = [
        "Provides": "Provides", "Short-Description": "Short-Description", "Description": "Description",
        "Default-Start": "Default-Start",
    ]
    static let chkconfigKeys: [String: String] = [
        "chkconfig": "chkconfig", "description": "Description", "processname": "processname", "pidfile": "PIDFile",
    ]

    static func parse(_ bytes: [UInt8]) -> [String: String] {
        var properties: [String: String] = [:]
        var inLSB = false
        for line in TextLines(bytes: bytes) {
            let text = line.text.trimmingBlanks()
            if text.hasPrefix("### BEGIN INIT INFO") {
                inLSB = true
                continue
            }
            if text.hasPrefix("### END INIT INFO") {
                inLSB = false
                continue
            }
            guard text.hasPrefix("#") else { continue }
            let comment = text.dropFirst().drop { $0 == " " || $0 == "\t" }
            guard let colon = comment.firstIndex(of: ":") else { continue }
            let key = String(comment[..<colon])
            let value = comment[comment.index(after: colon)...].trimmingBlanks()
            guard !value.isEmpty, let name = inLSB ? lsbKeys[key] : chkconfigKeys[key], properties[name] == nil else { continue }
            properties[name] = value
        }
        return properties
    }
}
