import ArgumentParser
import EmbargoAudit
import EmbargoPolicy
import Foundation

extension Embargo {
    struct PolicyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "policy",
            abstract: "Show and check policies.",
            subcommands: [List.self, Validate.self]
        )
    }
}

extension Embargo.PolicyCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the loaded policy files, where each was loaded from, and its SHA-256.")

        @OptionGroup var policy: PolicyOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let set: PolicySet
            do {
                set = try policy.selection.load()
            } catch {
                throw error.fail()
            }
            switch output.format {
            case .json:
                struct Row: Encodable {
                    var id, version, sha256, path: String
                    var vendors: [String]
                    var products: Int
                    var profiles: [String]
                }
                let rows = set.documents.map {
                    Row(
                        id: $0.id, version: $0.version, sha256: $0.sha256, path: $0.path, vendors: $0.vendors.map(\.id),
                        products: $0.vendors.reduce(0) { $0 + $1.products.count }, profiles: $0.profiles.map(\.id))
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                try output.write(try encoder.encode(rows) + Data("\n".utf8))
            case .text:
                var text = ""
                for document in set.documents {
                    let products = document.vendors.reduce(0) { $0 + $1.products.count }
                    let restrictions = document.vendors.reduce(0) { $0 + $1.restrictions.count }
                    text += "\(document.id) \(document.version)\n"
                    text += "  path     \(document.path)\n"
                    text += "  sha256   \(document.sha256)\n"
                    if !document.vendors.isEmpty {
                        text += "  vendors  \(document.vendors.map(\.id).joined(separator: ", ")) (\(products) products, \(restrictions) restrictions)\n"
                    }
                    if !document.profiles.isEmpty {
                        text += "  profiles \(document.profiles.map { $0.isDefault ? $0.id + " (default)" : $0.id }.joined(separator: ", "))\n"
                    }
                }
                text += "policy set \(set.id) sha256 \(set.sha256)\n"
                try output.write(Data(text.utf8))
            }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check policy files and report every problem with file, line and column.",
            discussion: "The files are checked together with the bundled policies (profiles, ids), unless --no-bundled-policies is given. Exit code 0 when valid, 2 otherwise."
        )

        @Argument(help: ArgumentHelp("Policy files or directories.", valueName: "path"))
        var paths: [String]

        @Flag(name: .customLong("no-bundled-policies"), help: "Check the files on their own.")
        var noBundledPolicies = false

        func run() async throws {
            let selection = PolicySelection(useBundled: !noBundledPolicies, extraPaths: paths)
            do {
                let set = try selection.load()
                let checked = set.documents.filter { document in paths.contains { document.path.hasPrefix($0) || $0 == document.path } }
                for document in checked {
                    print("\(document.path): ok (\(document.id) \(document.version), sha256 \(document.sha256))")
                }
                if checked.isEmpty { print("ok") }
            } catch .policy(let problems) {
                for problem in problems.problems { printError(problem.description) }
                printError("\(problems.problems.count) problem(s); nothing was loaded")
                throw ExitStatus.usageOrFailure.exitCode
            } catch {
                throw error.fail()
            }
        }
    }
}
