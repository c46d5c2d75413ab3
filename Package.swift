// swift-tools-version: 6.1

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "OneRing",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "onering", targets: ["onering"]),
        .library(name: "VectorMath", targets: ["VectorMath"]),
        .library(name: "VectorIndex", targets: ["VectorIndex"]),
        .library(name: "ProfileStore", targets: ["ProfileStore"]),
        .library(name: "Embedding", targets: ["Embedding"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
    ],
    targets: [
        // MARK: C modules

        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CVectorKernels", path: "Sources/CVectorKernels"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CStandardIO", path: "Sources/CStandardIO"),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // MARK: Numeric core

        .target(
            name: "VectorMath",
            dependencies: ["CBLAS", "CVectorKernels"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VectorIndex",
            dependencies: ["VectorMath"],
            swiftSettings: swiftSettings
        ),

        // MARK: Embeddings and storage

        .target(
            name: "Embedding",
            dependencies: ["CCurl", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ProfileStore",
            dependencies: ["CLibPQ", "VectorMath", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "SampleData",
            dependencies: ["ProfileStore", "VectorMath", "Personalization"],
            swiftSettings: swiftSettings
        ),

        // MARK: Engine

        .target(
            name: "Personalization",
            dependencies: ["CVectorKernels", "VectorMath", "VectorIndex", "Embedding", "ProfileStore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "Writer",
            dependencies: ["Personalization", "Embedding", .product(name: "Logging", package: "swift-log")],
            resources: [.copy("Resources/writer-prompt.txt")],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "Generation",
            dependencies: [
                "Personalization", "Writer", "ProfileStore", "Embedding",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Service

        .target(
            name: "Service",
            dependencies: [
                "Personalization",
                "Writer",
                "Generation",
                "ProfileStore",
                "Embedding",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/openapi.json")],
            swiftSettings: swiftSettings
        ),

        // MARK: Command line

        .executableTarget(
            name: "onering",
            dependencies: [
                "CStandardIO",
                "VectorMath",
                "VectorIndex",
                "ProfileStore",
                "Embedding",
                "SampleData",
                "Personalization",
                "Writer",
                "Generation",
                "Service",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests

        .target(
            name: "_TestSupport",
            dependencies: ["ProfileStore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VectorMathTests",
            dependencies: ["VectorMath"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VectorIndexTests",
            dependencies: ["VectorIndex", "VectorMath"],
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "EmbeddingTests",
            dependencies: ["Embedding", "VectorMath", "_TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SampleDataTests",
            dependencies: ["SampleData", "ProfileStore", "Personalization"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PersonalizationTests",
            dependencies: [
                "Personalization", "Embedding", "ProfileStore", "SampleData", "VectorMath", "VectorIndex", "_TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/debian-package-descriptions.tsv")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CommandLineTests",
            dependencies: ["onering", "ProfileStore", "_TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WriterTests",
            dependencies: ["Writer", "Personalization", "_TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GenerationTests",
            dependencies: ["Generation", "Writer", "Personalization", "ProfileStore", "Embedding"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServiceTests",
            dependencies: [
                "Service", "Generation", "Personalization", "ProfileStore", "SampleData", "Embedding", "Writer", "_TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProfileStoreTests",
            dependencies: ["ProfileStore", "VectorMath", "_TestSupport"],
            swiftSettings: swiftSettings
        ),

        // MARK: Benchmarks

        .executableTarget(
            name: "SimilarityBenchmarks",
            dependencies: [
                "VectorMath",
                "VectorIndex",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/SimilarityBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
