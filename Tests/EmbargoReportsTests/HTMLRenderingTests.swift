import EmbargoReports
import Foundation
import TestSupport
import Testing

/// Renders the HTML report with headless Chromium (Debian's `chromium`) to PNG and PDF, and
/// reads Chromium's log for console messages. The report has no script, so any console message
/// at all (a Content-Security-Policy violation from an external asset, a parse problem) fails.
@Suite("HTML report", .serialized)
struct HTMLRenderingTests {
    static let report = ReportFixtures.report()

    @Test("self-contained: no script, no external reference, a CSP that forbids loading anything; hostile text escaped")
    func selfContained() throws {
        let html = String(decoding: try ReportRenderer.render(Self.report, format: .html), as: UTF8.self)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("src="), "no img/script/iframe sources")
        #expect(!html.contains("url("), "no CSS url()")
        #expect(!html.contains("@import"))
        #expect(!html.contains("<link"))
        #expect(html.contains("Content-Security-Policy\" content=\"default-src 'none'"))
        // Every href is a same-document anchor or a citation link (navigation, not a loaded asset).
        for match in html.matches(of: /href="([^"]*)"/) {
            let target = String(match.1)
            #expect(target.hasPrefix("#") || target.hasPrefix("https://"), "\(target)")
        }
        // The awkward file name: escaped, the control character shown, never raw markup.
        #expect(html.contains("/opt/kaspersky/kesl/share/notes, &quot;v2&quot; &lt;b&gt;&amp;amp;\\x1b[31m"))
        #expect(!html.contains("<b>&amp;"))
        #expect(!html.unicodeScalars.contains { $0.value == 0x1B })
        // Sections an auditor looks for.
        for section in ["summary", "findings", "details", "waivers", "changes", "scope", "errors"] {
            #expect(html.contains("<section id=\"\(section)\">"), "\(section)")
        }
        #expect(html.components(separatedBy: "<svg class=\"timeline\"").count - 1 == Self.report.findings.count, "one timeline per finding")
        #expect(html.contains("W-2024-001") && html.contains("s-expired"), "the expired waiver is listed as expired")
        #expect(html.contains("klnagent64") && html.contains("class=\"added\""), "the change since the previous scan")
    }

    @Test(
        "Chromium renders it to PNG and PDF with no console message",
        .enabled(if: HeadlessChromium.executable != nil, "needs chromium (apt-get install -y chromium)"))
    func rendersInChromium() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-html")
        let html = try ReportRenderer.render(Self.report, format: .html)
        let page = try directory.write("report.html", html)
        let rendering = try HeadlessChromium.render(html: page, into: directory.url, name: "report")
        #expect(rendering.consoleMessages.isEmpty, "\(rendering.consoleMessages)")
        let size = try #require(HeadlessChromium.pngSize(rendering.png), "no PNG written")
        #expect(size.width == 1280 && size.height == 4000)
        #expect(HeadlessChromium.pdfPageCount(rendering.pdf) >= 2, "a multi-page A4 PDF")
        HeadlessChromium.keep(rendering, as: "report-fixture")
    }

    @Test(
        "the console check catches what it should: an external image blocked by the CSP",
        .enabled(if: HeadlessChromium.executable != nil, "needs chromium"))
    func consoleCheckWorks() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-html")
        var html = String(decoding: try ReportRenderer.render(Self.report, format: .html), as: UTF8.self)
        html = html.replacingOccurrences(of: "<footer>", with: "<img src=\"http://example.invalid/logo.png\" alt=\"\"><footer>")
        let page = try directory.write("tampered.html", html)
        let rendering = try HeadlessChromium.render(html: page, into: directory.url, name: "tampered")
        #expect(rendering.consoleMessages.contains { $0.contains("Content Security Policy") }, "\(rendering.consoleMessages)")
    }
}
