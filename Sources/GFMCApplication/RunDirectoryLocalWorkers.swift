import Foundation
import GFMCRuntime

/// The local worker processes of `gfmc run`: `count` children running this same executable as
/// `gfmc worker --connect ENDPOINT --slots 1 --give-up-after 20` with `OPENBLAS_NUM_THREADS=1`, their output
/// appended to the run directory's `workers.log`. A worker that exits while the run goes on — with an error,
/// or cleanly because someone stopped it — is replaced, at most `2 × count + 2` times in all; after that, or
/// when a worker cannot be started, the run is stopped (the store keeps every accepted trial) with a message
/// saying why and pointing at the log, so a run never waits for workers that are gone. Exits after
/// `coordinatorFinished()` (the coordinator told them to shut down), after `finish`, or after a stop request
/// are not replaced. Local workers give up by themselves 20 s after their coordinator went silent, so none
/// outlives a killed `gfmc run` for long.
///
/// `@unchecked Sendable`: the mutable fields (endpoint, processes, replacements, shutdown flag, log handle) are touched only under `lock`.
public final class LocalWorkerPool: @unchecked Sendable {
    let executable: String
    let count: Int
    let logPath: String
    let stop: StopFlag
    let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var endpoint = ""
    private var processes: [Int: Process] = [:]
    private var replacements = 0
    private var shuttingDown = false
    private var coordinatorDone = false
    private var logHandle: FileHandle?

    public init(count: Int, logPath: String, stop: StopFlag, log: @escaping @Sendable (String) -> Void) {
        executable = Self.ownExecutable()
        self.count = count
        self.logPath = logPath
        self.stop = stop
        self.log = log
    }

    /// This process's executable (`/proc/self/exe`, else argv[0]).
    static func ownExecutable() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return CommandLine.arguments.first ?? "gfmc"
    }

    /// Starts every worker against `endpoint`.
    public func start(endpoint: String) {
        lock.withLock {
            self.endpoint = endpoint
            if !FileManager.default.fileExists(atPath: logPath) {
                _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            }
            logHandle = FileHandle(forWritingAtPath: logPath)
            logHandle?.seekToEndOfFile()
        }
        for slot in 0..<count { launch(slot: slot) }
        log("started \(count) local worker process\(count == 1 ? "" : "es") (log: \(logPath))")
    }

    private func launch(slot: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        lock.lock()
        process.arguments = ["worker", "--connect", endpoint, "--slots", "1", "--give-up-after", "20"]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        if let logHandle {
            process.standardOutput = logHandle
            process.standardError = logHandle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        lock.unlock()
        process.terminationHandler = { [weak self] finished in
            self?.exited(slot: slot, process: finished)
        }
        do {
            try process.run()
            lock.withLock { processes[slot] = process }
        } catch {
            log("cannot start local worker \(executable): \(error)")
            stop.request("cannot start local workers")
        }
    }

    /// The coordinator's log line (`CoordinatorRuntime`) when the study is complete, written before it tells
    /// its workers to shut down; `gfmc run` calls `coordinatorFinished()` when it sees it.
    public static let completionLogMarker = "study complete: "

    /// The most replacements in one run.
    public var replacementBudget: Int { 2 * count + 2 }

    /// The coordinator has finished and told its workers to shut down: their exits are expected from now on.
    public func coordinatorFinished() {
        lock.withLock { coordinatorDone = true }
    }

    private enum ExitDecision { case expected, replace, giveUp }

    private func exited(slot: Int, process: Process) {
        let status = process.terminationStatus
        let how = process.terminationReason == .uncaughtSignal ? "was killed by signal \(status)" : "exited with status \(status)"
        let decision: ExitDecision = lock.withLock {
            processes[slot] = nil
            guard !shuttingDown, !coordinatorDone, !stop.isRequested else { return .expected }
            replacements += 1
            return replacements <= replacementBudget ? .replace : .giveUp
        }
        switch decision {
        case .expected:
            break
        case .replace:
            log("local worker \(process.processIdentifier) \(how) while the study runs; starting a replacement "
                + "(\(lock.withLock { replacements }) of at most \(replacementBudget))")
            launch(slot: slot)
        case .giveUp:
            log("local worker \(process.processIdentifier) \(how); local workers exited \(replacementBudget + 1) times, stopping")
            stop.request("local workers keep exiting: \(replacementBudget + 1) exits while the study ran (see \(logPath))")
        }
    }

    /// After the coordinator returned: waits up to `seconds` for the workers to exit (they were told to shut
    /// down), then sends SIGTERM, waits 5 s more, then SIGKILL.
    public func finish(waitSeconds seconds: Double) {
        lock.withLock { shuttingDown = true }
        if waitForAll(seconds) { return closeLog() }
        for process in running() { kill(process.processIdentifier, SIGTERM) }
        if waitForAll(5) { return closeLog() }
        for process in running() { kill(process.processIdentifier, SIGKILL) }
        _ = waitForAll(2)
        closeLog()
    }

    private func running() -> [Process] { lock.withLock { Array(processes.values) }.filter(\.isRunning) }

    private func waitForAll(_ seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if running().isEmpty { return true }
            usleep(20_000)
        }
        return running().isEmpty
    }

    private func closeLog() { lock.withLock { try? logHandle?.close(); logHandle = nil } }
}
