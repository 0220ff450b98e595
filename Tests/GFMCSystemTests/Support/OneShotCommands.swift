import Foundation
import Testing

/// Runs `gfmc ARGS` to completion (bounded); exit status and output.
func gfmcExit(_ harness: Harness, _ name: String, _ arguments: [String],
              timeout: Double = 30) async throws -> (code: Int32, log: String) {
    let child = try harness.group.start(name: name, executable: try GFMCBinary.path(), arguments: arguments,
                                        environment: GFMCProcesses.childEnvironment)
    guard let code = await child.waitForExit(timeout: timeout) else {
        child.forceStop()
        throw SystemTestError("gfmc \(arguments.joined(separator: " ")) did not exit within \(timeout) s\n\(child.describe())")
    }
    return (code, child.logTail(maxBytes: 1 << 20))
}

/// `gfmc keygen --out DIR/NAME` for each name; DIR/NAME.key and DIR/NAME.pub.
func keygen(_ harness: Harness, into directory: String, _ names: [String]) async throws {
    for name in names {
        let r = try await gfmcExit(harness, "keygen-\(name)", ["keygen", "--out", directory + "/" + name])
        try #require(r.code == 0, "keygen \(name): \(r.log)")
    }
}

