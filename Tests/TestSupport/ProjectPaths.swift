import Foundation

/// Paths of the checkout and of the shared material beside it, found from this source file so
/// tests work from any working directory.
public enum ProjectPaths {
    /// The repository root (the directory holding `Package.swift`).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/fixtures` beside the checkout: peer projects' package databases and expectations.
    public static let sharedFixtures: URL = root.deletingLastPathComponent().appendingPathComponent("shared/fixtures")

    /// A file or directory under `../shared/fixtures`.
    public static func sharedFixture(_ relativePath: String) -> URL {
        sharedFixtures.appendingPathComponent(relativePath)
    }

    /// The bundled policies (`Policies/`).
    public static let policies: URL = root.appendingPathComponent("Policies")

    /// A fixture kept in the repository, under `Tests/<target>/Fixtures/`.
    public static func fixture(_ relativePath: String, target: String) -> URL {
        root.appendingPathComponent("Tests").appendingPathComponent(target).appendingPathComponent("Fixtures")
            .appendingPathComponent(relativePath)
    }

    /// The build products directory of the running test bundle (where `embargo` is built).
    public static var buildProducts: URL {
        if let override = ProcessInfo.processInfo.environment["EMBARGO_BUILD_PRODUCTS"] {
            return URL(fileURLWithPath: override)
        }
        // The test binary lives in <build>/<config>/embargoPackageTests.xctest (a file on Linux).
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        for _ in 0..<4 {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("embargo").path) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug")
    }

    /// The built `embargo` executable.
    public static var embargoExecutable: URL { buildProducts.appendingPathComponent("embargo") }
}
