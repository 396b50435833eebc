import Foundation
import TestSupport
import Testing

/// Man pages and completion scripts come from the command-line definitions (scripts/generate-docs);
/// these tests fail when an option or subcommand changed and the docs were not regenerated.
@Suite("generated docs are current")
struct GeneratedDocsTests {
    static let docs = ProjectPaths.root.appendingPathComponent("docs")

    @Test("shell completions match what the binaries generate", arguments: ["embargo", "embargod"])
    func completions(tool: String) throws {
        let binary = ProjectPaths.buildProducts.appendingPathComponent(tool).path
        for shell in ["bash", "zsh", "fish"] {
            let generated = try Command.check(binary, ["--generate-completion-script", shell]).stdout
            let committed = try String(contentsOf: Self.docs.appendingPathComponent("completions/\(tool).\(shell)"), encoding: .utf8)
            #expect(generated == committed, "docs/completions/\(tool).\(shell) is stale: run scripts/generate-docs")
        }
    }

    @Test("every subcommand has a man page that lists its options")
    func manPages() throws {
        let dump = try Command.check(ProjectPaths.embargoExecutable.path, ["--experimental-dump-help"]).stdoutData
        let root = try #require(try JSONSerialization.jsonObject(with: dump) as? [String: Any])
        var pages: [(String, [String])] = []
        func visit(_ command: [String: Any], prefix: [String]) {
            let name = command["commandName"] as? String ?? ""
            let path = prefix + [name]
            let options = (command["arguments"] as? [[String: Any]] ?? []).compactMap { argument -> String? in
                (argument["names"] as? [[String: Any]])?.first { $0["kind"] as? String == "long" }?["name"] as? String
            }
            pages.append((path.joined(separator: "."), options))
            for sub in command["subcommands"] as? [[String: Any]] ?? [] where sub["commandName"] as? String != "help" {
                visit(sub, prefix: path)
            }
        }
        visit(try #require(root["command"] as? [String: Any]), prefix: [])
        #expect(pages.count > 5)
        for (page, options) in pages {
            let url = Self.docs.appendingPathComponent("man/\(page).1")
            let text = try #require(try? String(contentsOf: url, encoding: .utf8), "docs/man/\(page).1 is missing: run scripts/generate-docs")
            for option in options where option != "help" && option != "version" {
                #expect(text.contains(option), "docs/man/\(page).1 lacks --\(option): run scripts/generate-docs")
            }
        }
    }
}
