import Foundation

/// Validates CycloneDX documents against the official schema with `cyclonedx-python-lib` from
/// PyPI (installed here with pip when missing, as scripts/install-dependencies test does).
public enum CycloneDXValidator {
    static let probe = "from cyclonedx.validation.json import JsonStrictValidator; import packageurl"

    public static let isAvailable: Bool = {
        if (try? Command.run("python3", ["-c", probe]))?.status == 0 { return true }
        _ = try? Command.run("python3", ["-m", "pip", "install", "-q", "cyclonedx-python-lib[json-validation]"], timeout: 600)
        return (try? Command.run("python3", ["-c", probe]))?.status == 0
    }()

    /// Problems with a CycloneDX 1.6 JSON document: the schema's first error, and package URLs
    /// that do not parse back to themselves (packageurl-python's canonical form) or name another
    /// package. Empty when valid.
    public static func problems(_ document: Data) throws -> [String] {
        let script = """
            import json, sys
            from cyclonedx.schema import SchemaVersion
            from cyclonedx.validation.json import JsonStrictValidator
            from packageurl import PackageURL
            text = sys.stdin.read()
            error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
            if error is not None:
                print("schema: " + str(getattr(error, 'data', error)).splitlines()[0]); sys.exit(0)
            for component in json.loads(text).get('components', []):
                purl = component.get('purl')
                if purl is None: continue
                parsed = PackageURL.from_string(purl)
                if parsed.to_string() != purl: print("purl not canonical: " + purl)
                if parsed.name != component['name']: print("purl names another package: " + purl)
            """
        let output = try Command.run("python3", ["-c", script], input: document)
        if output.status != 0 { return ["validator failed: " + output.stderr] }
        return output.stdout.split(separator: "\n").map(String.init)
    }
}

/// Parses CSV with Python's csv module in strict mode (RFC 4180 quoting).
public enum CSVParser {
    public static func rows(_ data: Data) throws -> [[String]] {
        let script = """
            import csv, io, json, sys
            text = sys.stdin.buffer.read().decode('utf-8')
            json.dump(list(csv.reader(io.StringIO(text, newline=''), strict=True)), sys.stdout)
            """
        let output = try Command.run("python3", ["-c", script], input: data)
        guard output.status == 0 else { throw Command.Failure.failed(command: "python3 csv", status: output.status, stderr: output.stderr) }
        return try JSONDecoder().decode([[String]].self, from: output.stdoutData)
    }

    /// Rows after the header as dictionaries keyed by the header.
    public static func records(_ data: Data) throws -> [[String: String]] {
        let rows = try self.rows(data)
        guard let header = rows.first else { return [] }
        return rows.dropFirst().map { Dictionary(zip(header, $0), uniquingKeysWith: { first, _ in first }) }
    }
}

/// Renders HTML with headless Chromium (Debian's `chromium`) to a PNG and a PDF, and collects
/// the console messages Chromium logs (`--enable-logging=stderr`).
public enum HeadlessChromium {
    public static var executable: String? {
        ["chromium", "chromium-browser", "google-chrome"].first { Command.isAvailable($0) }
    }

    public struct Rendering: Sendable {
        public var png: URL
        public var pdf: URL
        public var consoleMessages: [String]
    }

    public static func render(
        html: URL, into directory: URL, name: String, width: Int = 1280, height: Int = 4000
    ) throws -> Rendering {
        guard let chromium = executable else { throw SandboxError("chromium is not installed (apt-get install -y chromium)") }
        let png = directory.appendingPathComponent("\(name).png")
        let pdf = directory.appendingPathComponent("\(name).pdf")
        let common = [
            "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
            "--user-data-dir=\(directory.path)/chromium-profile-\(name)", "--enable-logging=stderr", "--v=0",
        ]
        let shot = try Command.run(
            chromium, common + ["--window-size=\(width),\(height)", "--screenshot=\(png.path)", html.absoluteString], timeout: 120)
        let print = try Command.run(chromium, common + ["--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)", html.absoluteString], timeout: 120)
        let messages = (shot.stderr + print.stderr).split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return Rendering(png: png, pdf: pdf, consoleMessages: messages)
    }

    /// PNG width and height from its IHDR chunk.
    public static func pngSize(_ url: URL) -> (width: Int, height: Int)? {
        guard let data = try? Data(contentsOf: url), data.count > 24,
            data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        else { return nil }
        let bytes = [UInt8](data)
        func int(_ offset: Int) -> Int { bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (int(16), int(20))
    }

    /// Pages of a PDF (its `/Type /Page` objects).
    public static func pdfPageCount(_ url: URL) -> Int {
        guard let data = try? Data(contentsOf: url), data.starts(with: Data("%PDF-".utf8)) else { return 0 }
        let text = String(decoding: data, as: UTF8.self)
        return text.components(separatedBy: "/Type /Page").count - text.components(separatedBy: "/Type /Pages").count
    }

    /// Copies renderings to `$EMBARGO_KEEP_RENDERINGS` (a directory) for a person to look at.
    public static func keep(_ rendering: Rendering, as name: String) {
        guard let keep = ProcessInfo.processInfo.environment["EMBARGO_KEEP_RENDERINGS"] else { return }
        for url in [rendering.png, rendering.pdf] {
            let target = URL(fileURLWithPath: keep).appendingPathComponent("\(name).\(url.pathExtension)")
            try? FileManager.default.removeItem(at: target)
            try? FileManager.default.copyItem(at: url, to: target)
        }
    }
}
