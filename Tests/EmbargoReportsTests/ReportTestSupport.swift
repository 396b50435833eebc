import EmbargoReports
import Foundation
import TestSupport

/// Golden files under `Fixtures/golden/`. Set `EMBARGO_UPDATE_GOLDENS=1` to write them from the
/// current output instead of comparing (then review the diff and commit it).
enum Goldens {
    static let directory = ProjectPaths.fixture("golden", target: "EmbargoReportsTests")

    static var updating: Bool { ProcessInfo.processInfo.environment["EMBARGO_UPDATE_GOLDENS"] == "1" }

    static func fileName(_ format: ReportFormat) -> String {
        switch format {
        case .text: return "report.txt"
        case .json: return "report.json"
        case .csv: return "report.csv"
        case .html: return "report.html"
        case .cyclonedx: return "report.cdx.json"
        }
    }

    /// Volatile fields replaced: the tool version (it changes with every release) and the
    /// document digest (it covers the version). The report id is derived from the inputs and
    /// stays, so a change to its derivation shows.
    static func redacted(_ text: String, digest: String, toolVersion: String) -> String {
        text.replacingOccurrences(of: digest, with: "<sha256>").replacingOccurrences(of: toolVersion, with: "<version>")
    }

    /// Compares with the golden file (or writes it); returns a description of the first
    /// difference, or nil when equal.
    static func compare(_ actual: String, name: String) throws -> String? {
        let url = directory.appendingPathComponent(name)
        if updating {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url)
            return nil
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            return "\(name) is missing: run with EMBARGO_UPDATE_GOLDENS=1"
        }
        if expected == actual { return nil }
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(expectedLines.count, actualLines.count) {
            let want = index < expectedLines.count ? String(expectedLines[index]) : "<end>"
            let got = index < actualLines.count ? String(actualLines[index]) : "<end>"
            if want != got {
                return "\(name) line \(index + 1) differs (EMBARGO_UPDATE_GOLDENS=1 regenerates):\n  golden: \(want)\n  actual: \(got)"
            }
        }
        return "\(name) differs in line endings"
    }
}

/// Finds a rendered document's digest where each format writes it.
enum DigestLocator {
    static func digest(in data: Data, format: ReportFormat) -> String? {
        let text = String(decoding: data, as: UTF8.self)
        let marker: String
        switch format {
        case .text: marker = "report sha256: "
        case .json:
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            return object?["reportSha256"] as? String
        case .csv:
            // The report row's last column.
            guard let line = text.split(separator: "\r\n").dropFirst().first else { return nil }
            return line.split(separator: ",").last.map(String.init)
        case .html: marker = "<code class=\"digest\">"
        case .cyclonedx:
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            let properties = (object?["metadata"] as? [String: Any])?["properties"] as? [[String: String]]
            return properties?.first { $0["name"] == "embargo:report:sha256" }?["value"]
        }
        guard let range = text.range(of: marker) else { return nil }
        return String(text[range.upperBound...].prefix(64))
    }
}

/// SHA-256 by Python's hashlib: an implementation independent of the one under test.
enum IndependentHash {
    static func sha256(_ data: Data) throws -> String {
        let output = try Command.run(
            "python3", ["-c", "import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())"], input: data)
        guard output.status == 0 else { throw Command.Failure.failed(command: "python3 hashlib", status: output.status, stderr: output.stderr) }
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
