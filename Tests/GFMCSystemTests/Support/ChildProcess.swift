import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One child process of a system test, with its standard output and error in a log file.
///
/// Every wait is bounded. `kill(_:)` signals by PID only (never by name). A `ChildProcess` belongs to a
/// `ProcessGroupGuard`, which ends every child still running when the test ends, pass or fail.
///
/// `@unchecked Sendable`: the fields never change after `init`; `Process` and `FileHandle` are used only through their thread-safe calls (signal, wait, read the log file).
final class ChildProcess: @unchecked Sendable {
    let name: String
    let arguments: [String]
    let logPath: String
    private let process: Process
    private let log: FileHandle

    /// Starts `executable arguments…` with the current environment plus `environment`, output to `logPath`.
    init(name: String, executable: String, arguments: [String], environment: [String: String] = [:],
         logPath: String) throws {
        self.name = name
        self.arguments = [executable] + arguments
        self.logPath = logPath
        guard FileManager.default.createFile(atPath: logPath, contents: nil),
              let log = FileHandle(forWritingAtPath: logPath) else {
            throw SystemTestError("\(name): cannot create log file \(logPath)")
        }
        self.log = log
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        do {
            try process.run()
        } catch {
            throw SystemTestError("\(name): cannot start \(executable) \(arguments.joined(separator: " ")): \(error)")
        }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// The exit status, or nil while running. A process killed by a signal reports `128 + signal`.
    var exitStatus: Int32? {
        guard !process.isRunning else { return nil }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus
                                                            : process.terminationStatus
    }

    /// Sends `signal` to this child's PID (no-op once it has exited).
    func kill(_ signal: Int32) {
        guard process.isRunning else { return }
        _ = Glibc.kill(pid, signal)
    }

    /// Waits up to `timeout` seconds for the child to exit; its exit status, or nil if it is still running.
    func waitForExit(timeout: Double) async -> Int32? {
        _ = await waitUntil(timeout: timeout, interval: 0.02) { !process.isRunning }
        return exitStatus
    }

    /// Synchronous variant for `defer` blocks: polls for up to `timeout` seconds.
    @discardableResult
    func waitForExitBlocking(timeout: Double) -> Int32? {
        let deadline = Deadline(seconds: timeout)
        var polls = 0
        while process.isRunning && !deadline.hasPassed && polls < Int(timeout / 0.01) + 1 {
            usleep(10_000)
            polls += 1
        }
        return exitStatus
    }

    /// If the child still runs: SIGKILLs its process group (Foundation starts every child as the leader of its
    /// own group, so the group is this child and the processes it started, e.g. the workers of `gfmc run`) and
    /// reaps it (bounded). Then flushes the log. Safe to call more than once. Only while the child runs is its
    /// PID certainly still ours, so an exited child's group is left alone.
    func forceStop() {
        if process.isRunning {
            if getpgid(pid) == pid { _ = Glibc.kill(-pid, SIGKILL) }
            kill(SIGKILL)
            waitForExitBlocking(timeout: 5)
        }
        try? log.synchronize()
    }

    /// The last `maxBytes` of the child's output, for failure messages.
    func logTail(maxBytes: Int = 4000) -> String {
        guard let data = FileManager.default.contents(atPath: logPath) else { return "(no log at \(logPath))" }
        let tail = data.suffix(maxBytes)
        return String(decoding: tail, as: UTF8.self)
    }

    /// A one-paragraph description for failure messages: command line, state, and the log's tail.
    func describe(maxBytes: Int = 2000) -> String {
        let state = exitStatus.map { "exited with \($0)" } ?? "running (pid \(pid))"
        return "[\(name)] \(arguments.joined(separator: " ")) — \(state)\n--- log tail ---\n\(logTail(maxBytes: maxBytes))"
    }
}

/// Owns every child process a test starts; `stopAll()` (call it in `defer`) SIGKILLs and reaps those still
/// running, so no test leaves a process behind even when an expectation or a `#require` fails.
///
/// `@unchecked Sendable`: `children` and `counter` are touched only under `lock`.
final class ProcessGroupGuard: @unchecked Sendable {
    private let lock = NSLock()
    private var children: [ChildProcess] = []
    let logDirectory: String
    private var counter = 0

    init(logDirectory: String) { self.logDirectory = logDirectory }

    /// Starts a child whose log goes to `logDirectory/<name>-<n>.log`.
    func start(name: String, executable: String, arguments: [String],
               environment: [String: String] = [:]) throws -> ChildProcess {
        let number: Int = lock.withLock { counter += 1; return counter }
        let child = try ChildProcess(name: name, executable: executable, arguments: arguments,
                                     environment: environment,
                                     logPath: "\(logDirectory)/\(name)-\(number).log")
        lock.withLock { children.append(child) }
        return child
    }

    var all: [ChildProcess] { lock.withLock { children } }

    func stopAll() {
        for child in all { child.forceStop() }
    }

    /// Descriptions of every child (command, state, log tail), for a failure message.
    func describeAll(maxBytesEach: Int = 1500) -> String {
        all.map { $0.describe(maxBytes: maxBytesEach) }.joined(separator: "\n\n")
    }
}
