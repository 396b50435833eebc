// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "embargo",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "embargo", targets: ["embargo"]),
        .executable(name: "embargod", targets: ["embargod"]),
        .library(name: "EmbargoAudit", targets: ["EmbargoAudit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSystemd",
            path: "Sources/CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"]), .yum(["systemd-devel"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .yum(["zlib-devel"])]
        ),
        // Kernel modules ship as .ko.xz (Debian 13, Fedora) or .ko.zst (Ubuntu, Arch).
        .systemLibrary(
            name: "CLzma",
            path: "Sources/CLzma",
            pkgConfig: "liblzma",
            providers: [.apt(["liblzma-dev"]), .yum(["xz-devel"])]
        ),
        .systemLibrary(
            name: "CZstd",
            path: "Sources/CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"]), .yum(["libzstd-devel"])]
        ),
        .target(
            name: "EmbargoFileSystem",
            dependencies: [
                .product(name: "SystemPackage", package: "swift-system"),
                "CZlib",
                "CLzma",
                "CZstd",
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EmbargoInventory",
            dependencies: [],
            swiftSettings: strict
        ),
        .target(
            name: "EmbargoPolicy",
            dependencies: [
                "EmbargoInventory",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EmbargoCollectors",
            dependencies: [
                "EmbargoFileSystem",
                "EmbargoInventory",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EmbargoEvaluation",
            dependencies: ["EmbargoInventory", "EmbargoPolicy"],
            swiftSettings: strict
        ),
        .target(
            name: "EmbargoReports",
            dependencies: [
                "EmbargoInventory", "EmbargoPolicy", "EmbargoEvaluation",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EmbargoAudit",
            dependencies: [
                "CSystemd", "EmbargoFileSystem", "EmbargoInventory", "EmbargoPolicy",
                "EmbargoCollectors", "EmbargoEvaluation", "EmbargoReports",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EmbargoJournal",
            dependencies: ["CSystemd", "EmbargoInventory", "EmbargoPolicy", "EmbargoEvaluation"],
            swiftSettings: strict
        ),
        .target(
            name: "EmbargoStore",
            dependencies: [
                "EmbargoInventory", "EmbargoEvaluation", "EmbargoReports",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EmbargoDaemon",
            dependencies: [
                "CSystemd", "EmbargoAudit", "EmbargoCollectors", "EmbargoEvaluation", "EmbargoFileSystem", "EmbargoInventory", "EmbargoJournal",
                "EmbargoPolicy", "EmbargoStore",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "embargo",
            dependencies: [
                "EmbargoAudit", "EmbargoInventory", "EmbargoPolicy", "EmbargoReports", "EmbargoCollectors",
                "EmbargoJournal", "EmbargoStore", "EmbargoEvaluation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "embargod",
            dependencies: [
                "EmbargoDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Benchmarks/walk.sh times its parts against find, yara and openssl (release build only).
        .executableTarget(
            name: "embargo-bench",
            dependencies: [
                "EmbargoFileSystem", "EmbargoInventory", "EmbargoCollectors",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/embargo-bench",
            swiftSettings: strict
        ),
        .target(
            name: "TestSupport",
            dependencies: [],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "EmbargoFileSystemTests",
            dependencies: ["EmbargoFileSystem", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EmbargoPolicyTests",
            dependencies: ["EmbargoPolicy", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EmbargoCollectorsTests",
            dependencies: ["EmbargoCollectors", "EmbargoFileSystem", "EmbargoInventory", "TestSupport"],
            exclude: ["Snap/Fixtures", "Flatpak/Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EmbargoEvaluationTests",
            dependencies: ["EmbargoEvaluation", "EmbargoInventory", "EmbargoPolicy", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EmbargoReportsTests",
            dependencies: [
                "EmbargoReports", "EmbargoAudit", "EmbargoEvaluation", "EmbargoInventory", "EmbargoPolicy", "CSystemd",
                "TestSupport",
            ],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EmbargoJournalTests",
            dependencies: ["EmbargoJournal", "EmbargoEvaluation", "EmbargoPolicy", "EmbargoInventory", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EmbargoStoreTests",
            dependencies: ["EmbargoStore", "EmbargoEvaluation", "EmbargoInventory", "EmbargoReports", "EmbargoPolicy", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EmbargodTests",
            dependencies: [
                "EmbargoDaemon", "EmbargoJournal", "EmbargoStore", "EmbargoEvaluation", "EmbargoPolicy", "EmbargoInventory",
                "TestSupport",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EmbargoCLITests",
            dependencies: ["TestSupport"],
            swiftSettings: strict
        ),
    ]
)
