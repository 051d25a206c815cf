// swift-tools-version:6.2
// Custos: a compliance backend. The package follows a hexagonal layout:
//   Domain/          the pure core: no package dependency at all
//   Infrastructure/  driven adapters (PostgreSQL, libsodium, in-memory, system)
//   Interfaces/      driving adapters (HTTP, CLI) and the `custos` composition root
// Dependencies point inward only; see docs/architecture.md.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "custos",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "custos", targets: ["custos"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Already resolved through postgres-nio; jwt-kit 5.8 needs 4.x (docs: build notes).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // MARK: Domain: the pure core (Foundation value types only).
        .target(name: "Domain", path: "Domain", swiftSettings: strict),

        // MARK: Infrastructure: driven adapters.
        .target(name: "MemoryAdapters", dependencies: ["Domain"], path: "Infrastructure/Memory", swiftSettings: strict),
        .target(name: "SystemAdapters", dependencies: ["Domain"], path: "Infrastructure/System", swiftSettings: strict),
        .target(
            name: "PostgresAdapters",
            dependencies: [
                "Domain",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Infrastructure/Postgres",
            swiftSettings: strict
        ),
        .target(name: "FileAdapters", dependencies: ["Domain"], path: "Infrastructure/Files", swiftSettings: strict),
        // Policy bundles from YAML, CSV and JSON-lines files, with `file:line:col` errors (docs/policies.md).
        .target(
            name: "PolicyAdapters", dependencies: ["Domain", .product(name: "Yams", package: "Yams")],
            path: "Infrastructure/Policy", swiftSettings: strict
        ),
        .target(
            name: "CryptoAdapters",
            dependencies: ["Domain", .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto")],
            path: "Infrastructure/Crypto", swiftSettings: strict
        ),
        .systemLibrary(
            name: "CSodium",
            path: "Infrastructure/CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .target(name: "SodiumAdapters", dependencies: ["Domain", "CSodium"], path: "Infrastructure/Sodium", swiftSettings: strict),

        // MARK: Interfaces: driving adapters and the composition root.
        .target(
            name: "HTTPInterface",
            dependencies: [
                "Domain",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Interfaces/HTTP",
            swiftSettings: strict
        ),
        .target(
            name: "CustosCLI",
            dependencies: [
                "Domain", "HTTPInterface", "PostgresAdapters", "SystemAdapters", "SodiumAdapters", "FileAdapters", "CryptoAdapters",
                "PolicyAdapters",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Interfaces/CLI",
            swiftSettings: strict
        ),
        .executableTarget(name: "custos", dependencies: ["CustosCLI"], path: "Interfaces/custos", swiftSettings: strict),

        // MARK: Tests
        .target(
            name: "TestSupport",
            dependencies: [
                "Domain", "MemoryAdapters", "PostgresAdapters", "SodiumAdapters", "FileAdapters",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support",
            swiftSettings: strict
        ),
        .testTarget(
            name: "DomainTests", dependencies: ["Domain", "MemoryAdapters", "SystemAdapters", "TestSupport"], path: "Tests/DomainTests",
            swiftSettings: strict
        ),
        // Audit-log math against public conformance data; depends on the core only, so it builds in seconds.
        // The policy engine (YAML loading and the example bundle join it next); no database.
        .testTarget(name: "PolicyTests", dependencies: ["Domain"], path: "Tests/PolicyTests", swiftSettings: strict),
        .testTarget(name: "AuditTests", dependencies: ["Domain"], path: "Tests/AuditTests", swiftSettings: strict),
        .testTarget(
            name: "PolicyAdapterTests", dependencies: ["Domain", "PolicyAdapters"], path: "Tests/PolicyAdapterTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "AdapterTests",
            dependencies: [
                "Domain", "MemoryAdapters", "PostgresAdapters", "SodiumAdapters", "SystemAdapters", "FileAdapters", "CryptoAdapters",
                "TestSupport", .product(name: "PostgresNIO", package: "postgres-nio"),
                // To sign tokens as an external issuer would (RS256, ES256).
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Tests/AdapterTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "HTTPTests",
            dependencies: [
                "Domain", "HTTPInterface", "MemoryAdapters", "PostgresAdapters", "CustosCLI", "TestSupport",
                "SodiumAdapters", "FileAdapters", "SystemAdapters", "CryptoAdapters",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Tests/HTTPTests",
            swiftSettings: strict
        ),
    ]
)
