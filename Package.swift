// swift-tools-version:6.0
// gfmc: distributed Monte Carlo studies of gradient flow on overparametrized linear networks.
import PackageDescription

/// Debian's libzmq/OpenBLAS/LAPACKE/SQLite, wrapped as system-library modules.
/// `pkgConfig` is left off on purpose: Debian's libzmq.pc adds an `-isystem` flag SwiftPM warns about.
let systemLibraries: [Target] = [
    .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ",
                   providers: [.apt(["libzmq3-dev"])]),
    .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS",
                   providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
    .systemLibrary(name: "CSQLite", path: "Sources/CSQLite",
                   providers: [.apt(["libsqlite3-dev"])]),
]

let package = Package(
    name: "gfmc",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gfmc", targets: ["gfmc"]),
    ],
    targets: systemLibraries + [
        // Pure numerics and logic (no I/O).
        .target(name: "GFMCLinearAlgebra", dependencies: ["COpenBLAS"]),
        .target(name: "GFMCRandom", dependencies: ["GFMCLinearAlgebra"]),
        .target(name: "GFMCStatistics"),
        .target(name: "GFMCEngine", dependencies: ["GFMCLinearAlgebra", "GFMCRandom"]),
        .target(name: "GFMCStudy", dependencies: ["GFMCEngine"]),
        .target(name: "GFMCCoordination", dependencies: ["GFMCStudy", "GFMCEngine"]),
        .target(name: "GFMCReport", dependencies: ["GFMCStatistics", "GFMCEngine", "GFMCStudy"]),
        // I/O.
        .target(name: "GFMCTransport", dependencies: ["CZeroMQ"]),
        .target(name: "GFMCStore", dependencies: ["CSQLite", "GFMCEngine", "GFMCStudy"]),
        .target(name: "GFMCRuntime", dependencies: [
            "GFMCCoordination", "GFMCTransport", "GFMCStore", "GFMCReport", "GFMCStudy", "GFMCEngine",
        ]),
        .target(name: "GFMCCommandLine", dependencies: [
            "GFMCRuntime", "GFMCReport", "GFMCStudy", "GFMCEngine", "GFMCStatistics", "GFMCLinearAlgebra",
        ]),
        .executableTarget(name: "gfmc", dependencies: ["GFMCCommandLine"]),

        .testTarget(name: "GFMCLinearAlgebraTests", dependencies: ["GFMCLinearAlgebra"]),
        .testTarget(name: "GFMCRandomTests", dependencies: ["GFMCRandom", "GFMCStatistics"]),
        .testTarget(name: "GFMCStatisticsTests", dependencies: ["GFMCStatistics", "GFMCRandom"]),
        .testTarget(name: "GFMCEngineTests", dependencies: ["GFMCEngine", "GFMCStatistics"]),
        .testTarget(name: "GFMCStudyTests", dependencies: ["GFMCStudy"]),
        .testTarget(name: "GFMCCoordinationTests", dependencies: ["GFMCCoordination"]),
        .testTarget(name: "GFMCReportTests", dependencies: ["GFMCReport"]),
        .testTarget(name: "GFMCTransportTests", dependencies: ["GFMCTransport"]),
        .testTarget(name: "GFMCStoreTests", dependencies: ["GFMCStore"]),
        .testTarget(name: "GFMCSystemTests", dependencies: ["GFMCRuntime", "GFMCCommandLine"]),
    ]
)
