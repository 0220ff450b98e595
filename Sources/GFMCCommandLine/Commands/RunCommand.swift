import Foundation
import GFMCApplication
import GFMCModel
import GFMCRuntime
import GFMCStudy

/// `gfmc run [STUDY] [--workers K] [--out DIR]`: a coordinator in this process on a free loopback port and
/// K local worker processes; progress on the terminal; the report and summary table at the end.
struct RunCommand: GFMCCommand {
    struct Options: CommandOptions {
        let workers = Option.int("workers", short: "w", valueName: "K",
                                 help: "Local worker processes (one engine thread each).",
                                 defaultValue: "the number of cores", in: 1...1024)
        let out = Option.string("out", short: "o", valueName: "DIR", help: "Run directory.",
                                defaultValue: "runs/<name>-<definition hash>[-shard-I-of-N]")
        let retryQuarantined = Option.flag("retry-quarantined",
                                           help: "Retry the trials an earlier run quarantined (otherwise they stay out).")
        let shard = Option.shard(help: "Run only shard I of N (0-based): the trials whose index mod N is I; "
                                 + "combine the shards' run directories with `gfmc merge`.")
    }
    static let options = Options()

    static let configuration = CommandConfiguration(
        name: "run",
        abstract: "Run a study on this machine: a coordinator and K local worker processes (resumable).",
        usage: ["run [STUDY] [--workers K] [--out DIR] [--retry-quarantined] [--shard I/N]"],
        discussion: """
        Without STUDY, runs the embedded quick study (identical to configs/quick.json). The coordinator binds \
        tcp://127.0.0.1 on a free port and starts K worker processes (this executable, `gfmc worker`, \
        OPENBLAS_NUM_THREADS=1; their log is DIR/workers.log). A worker that exits while the study runs is replaced, \
        at most 2K + 2 times; after that the run stops (status 2) saying so. Progress (trials done/total, rate, ETA, workers, \
        requeues, quarantined) goes to standard error: one updating line on a terminal, a line every 5 s \
        otherwise. At the end DIR holds trials.csv, summary.json and report.html, and the summary table is \
        printed on standard output.

        DIR must be new, empty (lost+found aside) or a gfmc run directory; another non-empty directory is \
        refused before anything is written. The run directory (default runs/<study name>-<first 8 hex digits of \
        the trial definition hash>) holds the SQLite store study.sqlite, status.json, the report files and \
        coordinator.lock. Running again on the same directory resumes: only missing trials run. A study that \
        differs only in name, trials, widths or precision grows (or shrinks) the stored one: every stored trial \
        is reused, only the missing ones run, and the report covers the study as now described. A study whose \
        trials are defined differently (data, init, engine settings, seed, ...) is refused with the list of what \
        changed.

        --shard I/N runs only the trials whose index mod N is I (0-based; default directory \
        runs/<name>-<hash>-shard-I-of-N), e.g. one shard per machine; `gfmc merge` combines the shards' run \
        directories into one whose report equals that of the whole study run in one place. Not for studies with \
        precision targets.

        SIGINT/SIGTERM/SIGHUP stop cleanly: workers are told to stop, every accepted trial stays \
        in the store, a partial report is written, and the message says how to resume (rerun the same command).

        \(RunExitCode.helpText)
        """,
        options: options.specs,
        positionals: [PositionalSpec(name: "STUDY", help: StudyArgument.help, isRequired: false)],
        examples: ["run", "run configs/paper-wide.json --workers 2 --out runs/wide", "status runs/wide"])

    let studyPath: String?
    let workers: Int
    let out: String?
    let retryQuarantined: Bool
    let shard: TrialShard?

    init(arguments: ParsedArguments) throws {
        studyPath = arguments.positional(0)
        workers = try arguments[Self.options.workers] ?? max(1, ProcessInfo.processInfo.activeProcessorCount)
        out = try arguments[Self.options.out]
        retryQuarantined = try arguments[Self.options.retryQuarantined]
        shard = try arguments[Self.options.shard]
    }

    func run(context: CommandContext) throws -> Int32 {
        let study = try StudyArgument.loadChecked(studyPath, context: context)
        if shard != nil && study.precision != nil {
            throw CommandLineError.usage("--shard is not available for a study with precision targets: it chooses "
                                         + "its trials from the results as they come; run it whole")
        }
        let directory = RunDirectory(path: context.resolvePath(out ?? RunDirectory.defaultPath(for: study, shard: shard)))
        let stop = StopFlag()
        let handlers = stop.installSignalHandlers(StopFlag.stopSignals + [SIGUSR1])
        defer { withExtendedLifetime(handlers) {} }
        try directory.checkUsableAsOutput()
        // The coordinator logs "study complete" before it tells the workers to shut down: from then on their
        // exits are expected and not replaced.
        let completion = LockedFlag()
        let watched = CommandContext(
            writeOutput: context.writeOutput,
            writeError: { text in
                if text.contains(LocalWorkerPool.completionLogMarker) { completion.set() }
                context.writeError(text)
            },
            currentDirectory: context.currentDirectory, environment: context.environment)
        let display = ProgressDisplay(context: watched, isTerminal: ProgressDisplay.standardErrorIsTerminal(context))
        let pool = LocalWorkerPool(count: workers, logPath: directory.workerLogPath, stop: stop, log: { display.log($0) })
        completion.onSet = { pool.coordinatorFinished() }
        var resume = "\(GFMCMain.toolName) run"
        if let studyPath { resume += " \(shellQuoted(studyPath))" }
        resume += " --workers \(workers) --out \(shellQuoted(directory.path))"
        if let shard { resume += " --shard \(shard)" }
        var session = RunDirectoryCoordinator(
            study: study, directory: directory, endpoint: "tcp://127.0.0.1:0", resumeCommand: resume, stop: stop,
            display: display, onListening: { endpoint in pool.start(endpoint: endpoint) })
        session.retryQuarantined = retryQuarantined
        session.shard = shard
        session.localWorkersOnly = true
        let code = session.run(context: context, commandName: "run")
        pool.finish(waitSeconds: 10)
        return code
    }
}

/// `text` quoted for a POSIX shell when it needs quoting.
func shellQuoted(_ text: String) -> String {
    let safe = text.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:@%+,".contains($0) }
    return safe && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// A flag set once, with an action run when it is set (the action is installed before the flag can be set).
///
/// `@unchecked Sendable`: `isSet` and `onSet` are read and written only under `lock`.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var isSet = false
    private var action: (@Sendable () -> Void)?

    var onSet: (@Sendable () -> Void)? {
        get { lock.withLock { action } }
        set { lock.withLock { action = newValue } }
    }

    func set() {
        let run: (@Sendable () -> Void)? = lock.withLock {
            guard !isSet else { return nil }
            isSet = true
            return action
        }
        run?()
    }
}
