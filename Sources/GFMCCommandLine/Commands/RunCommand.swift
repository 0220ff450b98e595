import Foundation
import GFMCRuntime
import GFMCStudy

/// `gfmc run [STUDY] [--workers K] [--out DIR]`: a coordinator in this process on a free loopback port and
/// K local worker processes; progress on the terminal; the report and summary table at the end.
struct RunCommand: GFMCCommand {
    static let configuration = CommandConfiguration(
        name: "run",
        abstract: "Run a study on this machine: a coordinator and K local worker processes (resumable).",
        usage: ["run [STUDY] [--workers K] [--out DIR]"],
        discussion: """
        Without STUDY, runs the embedded quick study (identical to configs/quick.json). The coordinator binds \
        tcp://127.0.0.1 on a free port and starts K worker processes (this executable, `gfmc worker`, \
        OPENBLAS_NUM_THREADS=1; their log is DIR/workers.log). Progress (trials done/total, rate, ETA, workers, \
        requeues, quarantined) goes to standard error: one updating line on a terminal, a line every 5 s \
        otherwise. At the end DIR holds trials.csv, summary.json and report.html, and the summary table is \
        printed on standard output.

        The run directory (default runs/<study name>-<first 8 hex digits of the study hash>) holds the SQLite \
        store study.sqlite, status.json, the report files and coordinator.lock. Running again on the same \
        directory resumes: only missing trials run. A directory holding a different study is refused with the \
        list of what changed. SIGINT/SIGTERM stop cleanly: workers are told to stop, every accepted trial stays \
        in the store, a partial report is written, and the message says how to resume (rerun the same command).

        \(RunExitCode.helpText)
        """,
        options: [
            .value("workers", short: "w", valueName: "K", help: "Local worker processes (one engine thread each).",
                   defaultValue: "the number of cores"),
            .value("out", short: "o", valueName: "DIR", help: "Run directory.",
                   defaultValue: "runs/<name>-<hash>"),
        ],
        positionals: [PositionalSpec(name: "STUDY", help: StudyArgument.help, isRequired: false)],
        examples: ["run", "run configs/paper-wide.json --workers 2 --out runs/wide", "status runs/wide"])

    let studyPath: String?
    let workers: Int
    let out: String?

    init(arguments: ParsedArguments) throws {
        studyPath = arguments.positional(0)
        workers = try arguments.int("workers", in: 1...1024) ?? max(1, ProcessInfo.processInfo.activeProcessorCount)
        out = arguments.string("out")
    }

    func run(context: CommandContext) throws -> Int32 {
        let study = try StudyArgument.load(studyPath, context: context)
        let directory = RunDirectory(path: context.resolvePath(out ?? RunDirectory.defaultPath(for: study)))
        let stop = StopFlag()
        let handlers = stop.installSignalHandlers([SIGINT, SIGTERM, SIGUSR1])
        defer { withExtendedLifetime(handlers) {} }
        let display = ProgressDisplay(context: context, isTerminal: ProgressDisplay.standardErrorIsTerminal(context))
        let pool = LocalWorkerPool(count: workers, logPath: directory.workerLogPath, stop: stop, log: { display.log($0) })
        var resume = "\(GFMCMain.toolName) run"
        if let studyPath { resume += " \(shellQuoted(studyPath))" }
        resume += " --workers \(workers) --out \(shellQuoted(directory.path))"
        let session = RunDirectoryCoordinator(
            study: study, directory: directory, endpoint: "tcp://127.0.0.1:0", resumeCommand: resume, stop: stop,
            display: display, onListening: { endpoint in pool.start(endpoint: endpoint) })
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
