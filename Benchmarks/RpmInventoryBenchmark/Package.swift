// swift-tools-version:6.1
import PackageDescription

// A separate package so the benchmark builds in release mode without touching the main
// package's targets. It reads rpm databases exactly as `embargo` does (RpmDatabaseReader).
let package = Package(
    name: "RpmInventoryBenchmark",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "embargo", path: "../..")],
    targets: [
        .executableTarget(
            name: "rpm-inventory-bench",
            dependencies: [.product(name: "EmbargoAudit", package: "embargo")]
        )
    ]
)
