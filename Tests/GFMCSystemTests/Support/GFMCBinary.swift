import Foundation

/// Where the `gfmc` executable under test lives.
///
/// `$GFMC_BINARY` when set (tools/test.sh sets it to the release build); otherwise `.build/release/gfmc` under the
/// package root, which is found from this source file's location (`#filePath`). The system tests never build the
/// binary themselves: build it first with `swift build -c release`.
enum GFMCBinary {
    /// The package root: three directories above this file (Tests/GFMCSystemTests/Support/…).
    static func packageRoot(filePath: String = #filePath) -> String {
        var url = URL(fileURLWithPath: filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }

    /// Absolute path of the binary, or an error naming where it was looked for and how to build it.
    static func path() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let candidate: String
        let origin: String
        if let fromEnvironment = environment["GFMC_BINARY"], !fromEnvironment.isEmpty {
            candidate = fromEnvironment
            origin = "GFMC_BINARY"
        } else {
            candidate = packageRoot() + "/.build/release/gfmc"
            origin = "the default location (GFMC_BINARY is not set)"
        }
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw SystemTestError("no gfmc executable at \(candidate) (\(origin)); build it with `swift build -c release`")
        }
        return candidate
    }

    /// Path of a file in the repository, e.g. `tools/testbed/lab.sh`.
    static func repositoryFile(_ relativePath: String) -> String {
        packageRoot() + "/" + relativePath
    }
}

/// A failure of the test harness itself (a process that would not start, a file that never appeared, …),
/// with a message that says what and where.
struct SystemTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
