import ArgumentParser
import EmbargoAudit
import EmbargoInventory
import EmbargoReports
import Foundation

extension Embargo {
    struct Inventory: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inventory",
            abstract: "List every package of every package database in a root, with install and update dates.",
            discussion: "Databases are read at their known paths under the root by embargo's own parsers; the distribution's tools are not needed."
        )

        @Option(help: ArgumentHelp("The root to read: / for this machine, or a mounted image or container root.", valueName: "dir"))
        var root: String = "/"

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let inventory: EmbargoInventory.Inventory
            do {
                inventory = try await Audit.inventory(root: root)
            } catch {
                throw error.fail()
            }
            switch output.format {
            case .text: try output.write(Data(InventoryRenderer.text(inventory).utf8))
            case .json: try output.write(try InventoryRenderer.json(inventory))
            }
        }
    }
}
