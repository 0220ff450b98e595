import Foundation

/// Launchers for the `gfmc` command-line contract the system tests exercise:
///
/// * `gfmc run STUDY --workers K --out DIR` — coordinator + K local workers; exit 0 when the study is complete.
/// * `gfmc coordinator STUDY --bind ENDPOINT --out DIR` — exit 0 when the study is complete.
/// * `gfmc worker --connect ENDPOINT [--slots K] [EXTRA…]` — until the coordinator says shutdown, or SIGTERM.
/// * `gfmc status DIR --json`.
///
/// Every child gets `OPENBLAS_NUM_THREADS=1` (several processes share 2 cores) and is owned by a
/// `ProcessGroupGuard`. `namespace` runs the child inside a network namespace (`ip netns exec NS …`, which execs,
/// so the PID is gfmc's own).
struct GFMCProcesses {
    let binary: String
    let group: ProcessGroupGuard

    init(group: ProcessGroupGuard) throws {
        binary = try GFMCBinary.path()
        self.group = group
    }

    static let childEnvironment = ["OPENBLAS_NUM_THREADS": "1"]

    /// iproute2's `ip` (for `ip netns exec`).
    static let ipCommand = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/sbin/ip"

    private func start(_ name: String, _ arguments: [String], namespace: String?) throws -> ChildProcess {
        if let namespace {
            return try group.start(name: name, executable: Self.ipCommand,
                                   arguments: ["netns", "exec", namespace, binary] + arguments,
                                   environment: Self.childEnvironment)
        }
        return try group.start(name: name, executable: binary, arguments: arguments,
                               environment: Self.childEnvironment)
    }

    func run(study: String, workers: Int, out: String, extra: [String] = []) throws -> ChildProcess {
        try start("run", ["run", study, "--workers", String(workers), "--out", out] + extra, namespace: nil)
    }

    func coordinator(study: String, bind: String, out: String, extra: [String] = [],
                     namespace: String? = nil) throws -> ChildProcess {
        try start("coordinator", ["coordinator", study, "--bind", bind, "--out", out] + extra, namespace: namespace)
    }

    func worker(connect: String, slots: Int = 1, extra: [String] = [], namespace: String? = nil) throws -> ChildProcess {
        try start("worker", ["worker", "--connect", connect, "--slots", String(slots)] + extra, namespace: namespace)
    }

    /// Runs `gfmc status DIR --json` to completion (bounded by `timeout`) and parses its output as a JSON object.
    func status(runDirectory: String, timeout: Double = 20) async throws -> StatusSnapshot {
        let child = try start("status", ["status", runDirectory, "--json"], namespace: nil)
        guard let code = await child.waitForExit(timeout: timeout) else {
            child.forceStop()
            throw SystemTestError("gfmc status did not exit within \(timeout) s\n\(child.describe())")
        }
        let output = child.logTail(maxBytes: 1 << 20)
        guard code == 0 else {
            throw SystemTestError("gfmc status exited with \(code):\n\(output)")
        }
        return try StatusSnapshot(jsonText: output)
    }

    /// Runs `gfmc status DIR` (text) to completion, bounded; (exit status, output).
    func statusText(runDirectory: String, timeout: Double = 20) async throws -> (Int32, String) {
        let child = try start("status-text", ["status", runDirectory], namespace: nil)
        guard let code = await child.waitForExit(timeout: timeout) else {
            child.forceStop()
            throw SystemTestError("gfmc status did not exit within \(timeout) s\n\(child.describe())")
        }
        return (code, child.logTail(maxBytes: 1 << 16))
    }

    /// Runs a whole study with `gfmc run` and waits (bounded) for exit 0; returns the run directory's trials.csv.
    func runToCompletion(study: String, workers: Int, out: String, timeout: Double,
                         extra: [String] = []) async throws -> TrialsCSV {
        let child = try run(study: study, workers: workers, out: out, extra: extra)
        let code = await child.waitForExit(timeout: timeout)
        guard code == 0 else {
            child.forceStop()
            throw SystemTestError("gfmc run \(code.map { "exited with \($0)" } ?? "did not finish within \(timeout) s")\n\(group.describeAll())")
        }
        return try TrialsCSV(runDirectory: out)
    }
}

/// The JSON object printed by `gfmc status DIR --json`, read by key (the counts are `CoordinatorStatus`'s:
/// `total`, `done`, `inFlight`, `queued`, `quarantined`, `complete`, …), at the top level or one object down.
///
/// `@unchecked Sendable`: `object` is an immutable tree of JSONSerialization values (strings, numbers, arrays, dictionaries), never mutated after `init`.
struct StatusSnapshot: @unchecked Sendable, CustomStringConvertible {
    let object: [String: Any]
    let text: String

    init(jsonText: String) throws {
        // The JSON document is the output's outermost {...}; anything before it (a log line) is ignored.
        guard let start = jsonText.firstIndex(of: "{"), let end = jsonText.lastIndex(of: "}") else {
            throw SystemTestError("gfmc status --json printed no JSON object:\n\(jsonText)")
        }
        let slice = String(jsonText[start...end])
        guard let parsed = try JSONSerialization.jsonObject(with: Data(slice.utf8)) as? [String: Any] else {
            throw SystemTestError("gfmc status --json is not a JSON object:\n\(slice)")
        }
        object = parsed
        text = slice
    }

    /// An integer field (looked up by any of `names`, first match), or an error naming the keys present.
    func int(_ names: String...) throws -> Int {
        for name in names {
            if let value = lookup(name) as? NSNumber {
                return value.intValue
            }
        }
        throw SystemTestError("status JSON has no integer \(names.joined(separator: "/")); keys: \(object.keys.sorted())\n\(text)")
    }

    func bool(_ names: String...) throws -> Bool {
        for name in names {
            if let value = lookup(name) as? Bool { return value }
        }
        throw SystemTestError("status JSON has no boolean \(names.joined(separator: "/")); keys: \(object.keys.sorted())\n\(text)")
    }

    /// A key at the top level, else inside a nested object (e.g. `{"state": …, "status": {"done": …}}`).
    func lookup(_ name: String) -> Any? {
        if let value = object[name] { return value }
        for key in object.keys.sorted() {
            if let nested = object[key] as? [String: Any], let value = nested[name] { return value }
        }
        return nil
    }

    var description: String { text }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read the port, close). The tiny race with
/// other programs is acceptable for tests; a coordinator that cannot bind fails loudly.
func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw SystemTestError("socket() failed: errno \(errno)") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0 else { throw SystemTestError("bind(127.0.0.1:0) failed: errno \(errno)") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    guard named == 0 else { throw SystemTestError("getsockname failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}
