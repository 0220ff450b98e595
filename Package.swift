// swift-tools-version:6.0
// gfmc: distributed Monte Carlo studies of gradient flow on overparametrized linear networks.
import PackageDescription

/// Debian's libzmq/OpenBLAS/LAPACKE/SQLite/zlib, wrapped as system-library modules.
/// `pkgConfig` is left off on purpose: Debian's libzmq.pc adds an `-isystem` flag SwiftPM warns about.
let systemLibraries: [Target] = [
    .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ",
                   providers: [.apt(["libzmq3-dev"])]),
    .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS",
                   providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
    .systemLibrary(name: "CSQLite", path: "Sources/CSQLite",
                   providers: [.apt(["libsqlite3-dev"])]),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib",
                   providers: [.apt(["zlib1g-dev"])]),
]

let package = Package(
    name: "gfmc",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gfmc", targets: ["gfmc"]),
    ],
    targets: systemLibraries + [
        // Values shared by every layer (trial identity and result, their JSON coding). No C dependencies.
        .target(name: "GFMCModel"),
        // A lock-protected value and a joinable background thread, the two concurrency helpers.
        .target(name: "GFMCConcurrency"),
        // Numerics and statistics: pure computation, no file or network I/O.
        .target(name: "GFMCLinearAlgebra", dependencies: ["COpenBLAS"]),
        .target(name: "GFMCRandom", dependencies: ["GFMCLinearAlgebra"]),
        .target(name: "GFMCStatistics"),
        // Trials: the integrators and quantities, and the data a study names (Engine/Data reads CSV/NPY files).
        .target(name: "GFMCEngine", dependencies: ["COpenBLAS", "GFMCLinearAlgebra", "GFMCModel", "GFMCRandom"]),
        // Study files: parsing, validation, identity hashing, the per-trial executor (reads study and data files).
        .target(name: "GFMCStudy", dependencies: ["GFMCEngine", "GFMCLinearAlgebra", "GFMCModel"]),
        // The coordinator's protocol state machine and wire format: pure, no I/O.
        .target(name: "GFMCCoordination", dependencies: ["GFMCModel"]),
        // Aggregation and report artifacts (pure: builds text and bytes, the caller writes them).
        .target(name: "GFMCReport", dependencies: ["GFMCConcurrency", "GFMCModel", "GFMCStatistics"]),
        // I/O: sockets, the SQLite store, the runtimes that drive the cores.
        .target(name: "GFMCTransport", dependencies: ["CZeroMQ"]),
        .target(name: "GFMCStore", dependencies: ["CSQLite", "GFMCModel"]),
        .target(name: "GFMCRuntime", dependencies: [
            "GFMCConcurrency", "GFMCCoordination", "GFMCLinearAlgebra", "GFMCModel", "GFMCStore", "GFMCTransport",
        ]),
        // Application services: run directories, the lock, local workers, precision rounds, status, reports.
        .target(name: "GFMCApplication", dependencies: [
            "CZlib", "GFMCConcurrency", "GFMCCoordination", "GFMCEngine", "GFMCModel", "GFMCReport", "GFMCRuntime",
            "GFMCStatistics", "GFMCStore", "GFMCStudy",
        ]),
        // The `gfmc bench` harness.
        .target(name: "GFMCBenchmarks", dependencies: [
            "GFMCConcurrency", "GFMCCoordination", "GFMCEngine", "GFMCLinearAlgebra", "GFMCModel", "GFMCRuntime",
            "GFMCStudy",
        ]),
        // The commit the binary was built from (set by tools/install.sh as a compiler define).
        .target(name: "CGFMCBuildInfo"),
        // The command line: parses options, calls the layers above, prints.
        .target(name: "GFMCCommandLine", dependencies: [
            "CGFMCBuildInfo", "GFMCApplication", "GFMCBenchmarks", "GFMCConcurrency", "GFMCEngine", "GFMCLinearAlgebra",
            "GFMCModel", "GFMCRuntime", "GFMCStudy", "GFMCTransport",
        ]),
        .executableTarget(name: "gfmc", dependencies: ["GFMCCommandLine"]),
        // tools/bench: fills a run directory's store with synthetic trials (report and store benchmarks).
        .executableTarget(name: "gfmc-synthetic-fill", dependencies: ["GFMCApplication", "GFMCStudy"],
                          path: "tools/bench/synthetic-fill"),

        // Helpers shared by the test targets (seeded randomness); never linked into gfmc.
        .target(name: "GFMCTestSupport", dependencies: ["GFMCModel"], path: "Tests/GFMCTestSupport"),
        .testTarget(name: "GFMCModelTests", dependencies: ["GFMCModel", "GFMCTestSupport"]),
        .testTarget(name: "GFMCLinearAlgebraTests", dependencies: ["GFMCLinearAlgebra"]),
        .testTarget(name: "GFMCRandomTests", dependencies: ["GFMCLinearAlgebra", "GFMCRandom", "GFMCStatistics"]),
        .testTarget(name: "GFMCConcurrencyTests", dependencies: ["GFMCConcurrency"]),
        .testTarget(name: "GFMCStatisticsTests", dependencies: ["GFMCStatistics", "GFMCTestSupport"]),
        .testTarget(name: "GFMCEngineTests", dependencies: ["GFMCEngine", "GFMCLinearAlgebra", "GFMCModel", "GFMCStatistics"]),
        .testTarget(name: "GFMCStudyTests", dependencies: ["GFMCEngine", "GFMCLinearAlgebra", "GFMCModel", "GFMCStudy", "GFMCTestSupport"]),
        .testTarget(name: "GFMCCoordinationTests", dependencies: ["GFMCCoordination", "GFMCModel", "GFMCTestSupport"]),
        .testTarget(name: "GFMCReportTests", dependencies: ["GFMCModel", "GFMCReport", "GFMCStatistics", "GFMCTestSupport"]),
        .testTarget(name: "GFMCTransportTests", dependencies: ["GFMCTransport"]),
        .testTarget(name: "GFMCStoreTests", dependencies: ["CSQLite", "GFMCConcurrency", "GFMCModel", "GFMCStore"]),
        .testTarget(name: "GFMCSystemTests", dependencies: [
            "GFMCApplication", "GFMCBenchmarks", "GFMCCommandLine", "GFMCConcurrency", "GFMCCoordination", "GFMCEngine",
            "GFMCLinearAlgebra", "GFMCModel", "GFMCRuntime", "GFMCStore", "GFMCStudy", "GFMCTestSupport", "GFMCTransport",
        ]),
    ]
)
