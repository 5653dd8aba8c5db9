// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "liqsync",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "LiqSync", targets: ["LiqSync"]),
        .library(name: "Sandbox", targets: ["Sandbox"]),
        .executable(name: "liqsync", targets: ["liqsync"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Hummingbird's own lifecycle library; named so the sandbox can stop on SIGINT/SIGTERM.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // HTTP field names for the sandbox's headers; already part of Hummingbird's graph.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // SHA-256 of imported files and change sets; Ed25519/RSA webhook signatures (DESIGN §10).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // Random-input round-trip tests of the CSV reader and writer.
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "LiqSync",
            dependencies: [
                "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // The C API, for the staging bulk insert that binds text without copies.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                // RSA for the legacy x-wh-signature webhook header (swift-crypto's own extras).
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .target(
            name: "Sandbox",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                // Signing the webhooks it sends (Ed25519, and RSA for the legacy header).
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "liqsync",
            dependencies: [
                "LiqSync",
                "Sandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "LiqSyncBench",
            dependencies: ["LiqSync", "Sandbox"],
            path: "bench/Sources/LiqSyncBench"
        ),
        .testTarget(
            name: "SandboxTests",
            dependencies: ["Sandbox"]
        ),
        .testTarget(
            name: "LiqSyncTests",
            dependencies: [
                "LiqSync", "Sandbox",
                // A second connection of its own, to hold the mirror open beside an import.
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            exclude: ["Report/Golden"]
        ),
        .testTarget(
            name: "liqsyncTests",
            dependencies: ["liqsync", "LiqSync", "Sandbox", .product(name: "Crypto", package: "swift-crypto")]
        ),
    ]
)
