import Foundation
import GFMCCoordination
import GFMCEngine
import GFMCModel
import GFMCRuntime
import GFMCStore
import GFMCStudy

/// Serves one study from one run directory: the part `gfmc run` and `gfmc coordinator` share.
///
/// Order of operations: create the directory, take its lock (a second coordinator is refused), refuse a store
/// of another trial definition (listing what changed; a grown or shrunk study is adopted, keeping every stored
/// trial), work out the trials (fixed count, or the current precision round
/// replayed from the store), serve them with `CoordinatorRuntime`, then write the report from the store —
/// also after a stop, so a partial report is always there.
public struct RunDirectoryCoordinator: Sendable {
    public var study: StudyDescription
    public var directory: RunDirectory
    public var endpoint: String
    public var curve: CoordinatorCurveKeys? = nil
    public var keepRunning = false
    /// Return trials quarantined by earlier runs to the queue (`--retry-quarantined`).
    public var retryQuarantined = false
    /// All workers are this process's own children on this machine (`gfmc run`): a trial failing on them
    /// is quarantined without waiting for a second host.
    public var localWorkersOnly = false
    /// Serve only this shard of the study's trials (`--shard I/N`); nil: all of them. Not for precision studies,
    /// which choose their trials from the results as they come.
    public var shard: TrialShard? = nil
    /// Seconds to wait for the lock of a coordinator that is still stopping (0: refuse at once).
    public var lockWaitSeconds: Double = 0
    /// The command that resumes this run, shown after a stop.
    public var resumeCommand: String
    public var stop: StopFlag
    public var display: ProgressDisplay
    public var onListening: (@Sendable (String) -> Void)? = nil

    public init(study: StudyDescription, directory: RunDirectory, endpoint: String, curve: CoordinatorCurveKeys? = nil,
                keepRunning: Bool = false, resumeCommand: String, stop: StopFlag, display: ProgressDisplay,
                onListening: (@Sendable (String) -> Void)? = nil) {
        self.study = study
        self.directory = directory
        self.endpoint = endpoint
        self.curve = curve
        self.keepRunning = keepRunning
        self.resumeCommand = resumeCommand
        self.stop = stop
        self.display = display
        self.onListening = onListening
    }

    /// Runs to the end and returns the exit status (`RunExitCode`); prints its own messages.
    public func run(context: CommandContext, commandName: String) -> Int32 {
        let prefix = "\(GFMCTool.name) \(commandName)"
        let lock: RunDirectoryLock
        do {
            try directory.create()
            let wait = lockWaitSeconds
            lock = try RunDirectoryLock(directory, waitSeconds: wait, stop: stop) { holder in
                context.printError("\(prefix): run directory \(directory.path) is locked by another coordinator"
                                   + "\(holder.isEmpty ? "" : " (pid \(holder))"); waiting up to \(Int(wait.rounded())) s for it to stop")
            }
            try directory.adoptStudy(study, shard: shard)
        } catch let error as RunDirectoryLockedError {
            context.printError("\(prefix): error: \(error)")
            return RunExitCode.locked
        } catch let error as RunDirectoryStudyMismatch {
            context.printError("\(prefix): error: \(error)")
            return RunExitCode.studyMismatch
        } catch {
            context.printError("\(prefix): error: \(error)")
            return RunExitCode.failure
        }
        defer { withExtendedLifetime(lock) {} }

        var options: CoordinatorOptions
        do {
            options = try coordinatorOptions()
        } catch {
            context.printError("\(prefix): error: \(error)")
            return RunExitCode.failure
        }
        let display = self.display
        options.log = { display.log($0) }
        options.progress = { display.update($0) }
        let listening = onListening
        options.onListening = { endpoint in
            display.log("coordinator for study \(study.name) (\(study.identityHash.prefix(12)))"
                        + (shard.map { ", shard \($0) (trial index mod \($0.count) = \($0.index))" } ?? "")
                        + " on \(endpoint); run directory \(directory.path)")
            listening?(endpoint)
        }

        let summary: CoordinatorRunSummary
        do {
            summary = try CoordinatorRuntime.run(options)
        } catch let error as StoreError {
            display.finish()
            if case .studyMismatch = error {
                context.printError("\(prefix): error: \(error)")
                return RunExitCode.studyMismatch
            }
            context.printError("\(prefix): error: \(error)")
            writePartialReport(context: context, prefix: prefix)
            context.printError("Every accepted trial is in \(directory.storePath). Resume with: \(resumeCommand)")
            return RunExitCode.failure
        } catch {
            display.finish()
            context.printError("\(prefix): error: \(error)")
            writePartialReport(context: context, prefix: prefix)
            return RunExitCode.failure
        }
        display.update(summary.status)
        display.finish()

        // A --keep-running coordinator stopped after completion has finished its study.
        let finished = summary.ending == .complete || summary.status.complete
        switch finished ? CoordinatorRunSummary.Ending.complete : summary.ending {
        case .complete:
            let built: RunDirectoryReport.Built
            do {
                built = try RunDirectoryReport.write(directory: directory, study: study)
            } catch {
                context.printError("\(prefix): error: the study is complete but the report failed: \(error)")
                context.printError("Rebuild it with: \(GFMCTool.name) report \(directory.path)")
                return RunExitCode.failure
            }
            context.writeOutput(built.terminal)
            let seconds = summary.completionSeconds.map { " in \(CoordinatorStatus.duration($0))" } ?? ""
            context.print("Complete: \(summary.status.done) trials\(seconds). Report: \(directory.reportPath)")
            if !summary.quarantined.isEmpty || !summary.quarantinedEarlier.isEmpty {
                let count = summary.quarantined.count + summary.quarantinedEarlier.count
                context.printError("\(prefix): warning: \(count) trial(s) are quarantined after repeated failures:")
                for report in summary.quarantined.prefix(20) { context.printError("  \(report)") }
                if !summary.quarantinedEarlier.isEmpty {
                    let listed = summary.quarantinedEarlier.prefix(20).map(\.description).joined(separator: ", ")
                    context.printError("  quarantined by an earlier run: \(listed)\(summary.quarantinedEarlier.count > 20 ? ", …" : "")")
                }
                context.printError("They are missing from the report; rerun the same command with --retry-quarantined to retry them.")
                return RunExitCode.quarantined
            }
            return RunExitCode.complete
        case .stopped:
            writePartialReport(context: context, prefix: prefix)
            context.printError("\(prefix): stopped (\(summary.stopReason ?? "stop requested")) with "
                               + "\(summary.status.done) of \(summary.status.total) trials done; every accepted trial is in "
                               + "\(directory.storePath).")
            context.printError("Resume with: \(resumeCommand)")
            return RunExitCode.stopped
        }
    }

    /// Writes the report of what is stored so far (after a stop or an error); reports but does not fail.
    func writePartialReport(context: CommandContext, prefix: String) {
        guard directory.hasStore else { return }
        do {
            let built = try RunDirectoryReport.write(directory: directory, study: study)
            context.printError("Partial report of \(built.storedTrials) trials written to \(directory.path).")
        } catch {
            context.printError("\(prefix): could not write the partial report: \(error)")
        }
    }

    /// The runtime's options: the study's trials (or the current precision round) and the run directory.
    func coordinatorOptions() throws -> CoordinatorOptions {
        let identity = GFMCCoordination.StudyIdentity(hash: study.identityHash, json: study.canonicalJSON)
        var trials: TrialIndexSet
        var nextRound: (@Sendable (StudyStore) throws -> [TrialID])?
        if let fixed = study.trialSet {
            trials = Self.trials(fixed, in: shard)
        } else {
            guard shard == nil else {
                throw ApplicationError.failure("--shard is not available for a study with precision targets "
                                               + "(it chooses its trials from the results as they come)")
            }
            let rounds = try PrecisionRounds(study: study)
            // Stored trials of widths the study no longer lists stay stored but take no part.
            let scope = RunDirectory.scope(of: study)
            @Sendable func results(_ store: StudyStore) throws -> [TrialResult] {
                var results: [TrialResult] = []
                try store.forEachResult(scope: scope) { results.append($0) }
                return results
            }
            var stored: [TrialResult] = []
            if directory.hasStore {
                let store = try StudyStore(path: directory.storePath, readOnly: true)
                defer { store.close() }
                if try store.storedStudy() != nil { stored = try results(store) }
            }
            let pending = rounds.pendingTrials(stored: stored)
            trials = TrialIndexSet(stored.lazy.map(\.id).filter { $0.index >= 0 })
            trials.formUnion(TrialIndexSet(pending))
            nextRound = { store in
                rounds.pendingTrials(stored: try results(store), skipping: try store.quarantinedTrialIDs())
            }
        }
        var options = CoordinatorOptions(endpoint: endpoint, storePath: directory.storePath, study: identity, trials: trials)
        options.statusPath = directory.statusPath
        options.version = "gfmc \(GFMCVersion.current)"
        options.stop = stop
        options.curve = curve
        options.stopWhenComplete = !keepRunning
        options.nextRound = nextRound
        options.retryQuarantined = retryQuarantined
        // Same numbers or no entry: workers must run this build (version and numerics fingerprint).
        options.settings.requiredWorkerVersion = options.version
        options.settings.requiredNumericsFingerprint = try NumericsFingerprint.current(environment: ProcessInfo.processInfo.environment)
        if localWorkersOnly { options.settings.quarantinePeers = 1 }
        return options
    }

    /// The trials of `trials` that belong to `shard` (all of them when nil), in their order: the one place a
    /// shard narrows the trial set, so the set's representation can change here alone.
    public static func trials(_ trials: TrialIndexSet, in shard: TrialShard?) -> TrialIndexSet {
        guard let shard else { return trials }
        return trials.filter { _, _, index in shard.contains(index: index) }
    }
}

/// Live progress on standard error: one line rewritten in place on a terminal, a line every
/// `periodicInterval` seconds otherwise; log lines are printed above it.
///
/// `@unchecked Sendable`: the line state is read and written only under `lock`, which also orders the writes to standard error.
public final class ProgressDisplay: @unchecked Sendable {
    private let context: CommandContext
    private let isTerminal: Bool
    private let periodicInterval: Double
    private let lock = NSLock()
    private var lastLine = ""
    private var lastPrinted = -Double.infinity
    private var lastPrintedLine = ""
    private var lineShown = false
    private let start = Date()

    public init(context: CommandContext, isTerminal: Bool, periodicInterval: Double = 5) {
        self.context = context
        self.isTerminal = isTerminal
        self.periodicInterval = periodicInterval
    }

    /// Whether standard error is a terminal (and TERM is not "dumb").
    public static func standardErrorIsTerminal(_ context: CommandContext) -> Bool {
        isatty(STDERR_FILENO) == 1 && context.environment["TERM"] != "dumb"
    }

    public func update(_ status: CoordinatorStatus) {
        lock.withLock {
            lastLine = status.progressLine
            if isTerminal {
                context.writeError("\r\u{1B}[2K" + lastLine)
                lineShown = true
            } else {
                let now = Date().timeIntervalSince(start)
                if (now - lastPrinted >= periodicInterval || status.complete) && lastLine != lastPrintedLine {
                    lastPrinted = now
                    lastPrintedLine = lastLine
                    context.writeError("progress: " + lastLine + "\n")
                }
            }
        }
    }

    public func log(_ line: String) {
        lock.withLock {
            if isTerminal && lineShown {
                context.writeError("\r\u{1B}[2K" + line + "\n" + lastLine)
            } else {
                context.writeError(line + "\n")
            }
        }
    }

    /// Ends the updating line (prints the final state on its own line).
    public func finish() {
        lock.withLock {
            if isTerminal && lineShown {
                context.writeError("\n")
                lineShown = false
            } else if !isTerminal && !lastLine.isEmpty && lastLine != lastPrintedLine {
                context.writeError("progress: " + lastLine + "\n")
                lastPrintedLine = lastLine
            }
        }
    }
}

extension RunExitCode {
    /// The study finished but some trials were quarantined after repeated failures (listed; a rerun retries them).
    public static let quarantined: Int32 = 3
}
