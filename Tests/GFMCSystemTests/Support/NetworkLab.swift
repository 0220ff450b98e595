import Foundation

/// tools/testbed/lab.sh from Swift: a private lab of network namespaces (hosts PREFIX-h1…hN at 10.77.0.1…N, a
/// bridge in PREFIX-lab, nothing reachable from the root namespace). `down()` is idempotent and safe in `defer`.
struct NetworkLab: Sendable {
    let prefix: String
    let hosts: Int
    static let script = GFMCBinary.repositoryFile("tools/testbed/lab.sh")

    /// Whether this machine can run a lab (root, `ip netns`, bridges and veths); the reason when not.
    static func availability() -> (available: Bool, reason: String) {
        guard FileManager.default.isExecutableFile(atPath: script) else { return (false, "no executable \(script)") }
        guard let (code, output) = try? runScript(["check"], timeout: 20) else { return (false, "cannot run \(script)") }
        return (code == 0, code == 0 ? "" : output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func up(prefix: String, hosts: Int) throws -> NetworkLab {
        let lab = NetworkLab(prefix: prefix, hosts: hosts)
        lab.down()  // a lab left over by an earlier, killed test run
        try lab.run(["up", prefix, String(hosts)])
        return lab
    }

    /// The namespace name of host `index` (1-based), for `ip netns exec`.
    func namespace(_ index: Int) -> String { "\(prefix)-h\(index)" }
    func address(_ index: Int) -> String { "10.77.0.\(index)" }

    func cut(_ index: Int) throws { try run(["cut", prefix, String(index)]) }
    func heal(_ index: Int) throws { try run(["heal", prefix, String(index)]) }
    /// Drops `percent` % of host `index`'s packets at random, each way (0 removes the rule).
    func loss(_ index: Int, percent: Int) throws { try run(["loss", prefix, String(index), String(percent)]) }

    /// Kills every process inside the lab's namespaces (by PID) and deletes them. Never throws.
    func down() {
        _ = try? NetworkLab.runScript(["down", prefix], timeout: 30)
    }

    private func run(_ arguments: [String]) throws {
        let (code, output) = try NetworkLab.runScript(arguments, timeout: 30)
        guard code == 0 else {
            throw SystemTestError("lab.sh \(arguments.joined(separator: " ")) exited with \(code): \(output)")
        }
    }

    /// Runs lab.sh synchronously, bounded by `timeout` seconds; (exit status, combined output).
    static func runScript(_ arguments: [String], timeout: Double) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Deadline(seconds: timeout)
        var polls = 0
        while process.isRunning && !deadline.hasPassed && polls < Int(timeout / 0.01) + 1 {
            usleep(10_000)
            polls += 1
        }
        if process.isRunning {
            _ = kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return (-1, "lab.sh \(arguments.joined(separator: " ")) timed out after \(timeout) s")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
