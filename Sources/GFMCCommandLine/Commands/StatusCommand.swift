import Foundation
import GFMCApplication
import GFMCModel

/// `gfmc status DIR [--json]`: a run's progress from its status.json and its store, read-only.
struct StatusCommand: GFMCCommand {
    struct Options: CommandOptions {
        let json = Option.flag("json", help: "Print JSON instead of text.")
    }
    static let options = Options()

    static let configuration = CommandConfiguration(
        name: "status",
        abstract: "Show a run directory's progress as text or JSON (read-only, also while running).",
        usage: ["status DIR [--json]"],
        discussion: """
        Reads DIR/status.json (rewritten every second by the coordinator) and the store (read-only). While the \
        coordinator runs, the counts are its live ones (done + inFlight + queued + quarantined = total). When it \
        is not running (finished, stopped, or killed: state "interrupted", recognised at once on this machine \
        because the coordinator's flock on DIR/coordinator.lock is gone, read from /proc/locks), `done` is the \
        number of trials in the store. --json prints one object: state, endpoint, pid, updatedAt, runDirectory, studyName, \
        storedTrials, widths [{width, recorded, converged}], and status {total, done, inFlight, queued, \
        requeues, quarantined, workersAlive, creditsAlive, trialsPerSecond, etaSeconds, elapsedSeconds, \
        tasksIssued, rejectedMessages, duplicatesDropped, complete, studyHash}.

        Exit status: 0 shown; 1 DIR is not a run directory or cannot be read; 64 bad command line.
        """,
        options: options.specs,
        positionals: [PositionalSpec(name: "DIR", help: "The run directory.")],
        examples: ["status runs/quick-1a2b3c4d", "status runs/wide --json"])

    let path: String
    let json: Bool

    init(arguments: ParsedArguments) throws {
        guard let path = arguments.positional(0) else { throw CommandLineError.usage("missing run directory DIR") }
        self.path = path
        json = try arguments[Self.options.json]
    }

    func run(context: CommandContext) throws -> Int32 {
        let directory = RunDirectory(path: context.resolvePath(path))
        let output = try RunDirectoryStatus.read(directory)
        if json {
            let encoder = GFMCJSON.encoder([.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            context.print(String(decoding: try encoder.encode(output), as: UTF8.self))
        } else {
            var lines = ["run directory: \(output.runDirectory)" + (output.studyName.map { " (study \($0))" } ?? "")]
            var stateLine = "state: \(output.state.rawValue)"
            if let pid = output.pid { stateLine += " (pid \(pid)" + (output.endpoint.map { ", \($0)" } ?? "") + ")" }
            lines.append(stateLine)
            lines.append(output.status.progressLine)
            lines.append("stored trials: \(output.storedTrials)"
                         + (output.widths.isEmpty ? "" : " (" + output.widths.map { "h=\($0.width): \($0.recorded)" }.joined(separator: ", ") + ")"))
            if output.state == .interrupted {
                lines.append("the coordinator\(output.pid.map { " (pid \($0))" } ?? "") is not running: it was killed or "
                             + "crashed (its lock on coordinator.lock is free)")
            }
            if output.state == .interrupted || output.state == .stopped {
                lines.append("not complete: rerun the same gfmc run/coordinator command on this directory to resume")
            }
            context.print(lines.joined(separator: "\n"))
        }
        return ExitCode.success
    }
}
