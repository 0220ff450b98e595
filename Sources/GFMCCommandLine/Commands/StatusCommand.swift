import Foundation
import GFMCCoordination
import GFMCRuntime
import GFMCStore
import GFMCStudy

/// `gfmc status DIR [--json]`: a run's progress from its status.json and its store, read-only.
struct StatusCommand: GFMCCommand {
    static let configuration = CommandConfiguration(
        name: "status",
        abstract: "Show a run directory's progress as text or JSON (read-only, also while running).",
        usage: ["status DIR [--json]"],
        discussion: """
        Reads DIR/status.json (rewritten every second by the coordinator) and the store (read-only). While the \
        coordinator runs, the counts are its live ones (done + inFlight + queued + quarantined = total). When it \
        is not running (finished, stopped, or killed: state "interrupted"), `done` is the number of trials in \
        the store. --json prints one object: state, endpoint, pid, updatedAt, runDirectory, studyName, \
        storedTrials, widths [{width, recorded, converged}], and status {total, done, inFlight, queued, \
        requeues, quarantined, workersAlive, creditsAlive, trialsPerSecond, etaSeconds, elapsedSeconds, \
        tasksIssued, rejectedMessages, duplicatesDropped, complete, studyHash}.

        Exit status: 0 shown; 1 DIR is not a run directory or cannot be read; 64 bad command line.
        """,
        options: [.flag("json", help: "Print JSON instead of text.")],
        positionals: [PositionalSpec(name: "DIR", help: "The run directory.")],
        examples: ["status runs/quick-1a2b3c4d", "status runs/wide --json"])

    let path: String
    let json: Bool

    init(arguments: ParsedArguments) throws {
        guard let path = arguments.positional(0) else { throw CommandLineError.usage("missing run directory DIR") }
        self.path = path
        json = arguments.flag("json")
    }

    struct Output: Codable {
        var state: String
        var endpoint: String?
        var pid: Int32?
        var updatedAt: Double?
        var runDirectory: String
        var studyName: String?
        var storedTrials: Int
        var widths: [WidthCountOutput]
        var status: CoordinatorStatus
    }

    struct WidthCountOutput: Codable {
        var width: Int
        var recorded: Int
        var converged: Int
    }

    func run(context: CommandContext) throws -> Int32 {
        let directory = RunDirectory(path: context.resolvePath(path))
        let output = try Self.read(directory)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            context.print(String(decoding: try encoder.encode(output), as: UTF8.self))
        } else {
            var lines = ["run directory: \(output.runDirectory)" + (output.studyName.map { " (study \($0))" } ?? "")]
            var stateLine = "state: \(output.state)"
            if let pid = output.pid { stateLine += " (pid \(pid)" + (output.endpoint.map { ", \($0)" } ?? "") + ")" }
            lines.append(stateLine)
            lines.append(output.status.progressLine)
            lines.append("stored trials: \(output.storedTrials)"
                         + (output.widths.isEmpty ? "" : " (" + output.widths.map { "h=\($0.width): \($0.recorded)" }.joined(separator: ", ") + ")"))
            if output.state == "interrupted" || output.state == "stopped" {
                lines.append("not complete: rerun the same gfmc run/coordinator command on this directory to resume")
            }
            context.print(lines.joined(separator: "\n"))
        }
        return ExitCode.success
    }

    /// Combines status.json and the store. A "running" status whose pid is gone becomes "interrupted".
    static func read(_ directory: RunDirectory) throws -> Output {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandLineError.failure("\(directory.path): no such run directory")
        }
        let report: CoordinatorStatusReport?
        if FileManager.default.fileExists(atPath: directory.statusPath) {
            do { report = try CoordinatorStatusReport.read(from: directory.statusPath) } catch {
                throw CommandLineError.failure("cannot read \(directory.statusPath): \(error)")
            }
        } else {
            report = nil
        }
        var stored = 0
        var widths: [WidthCountOutput] = []
        var study: StudyDescription?
        if directory.hasStore {
            do {
                let store = try StudyStore(path: directory.storePath, readOnly: true)
                defer { store.close() }
                stored = try store.count()
                widths = try store.countsByWidth().map { WidthCountOutput(width: $0.width, recorded: $0.recorded, converged: $0.converged) }
                if let s = try store.storedStudy() { study = try? StudyDescription.parse(s.resolvedStudyJSON) }
            } catch {
                throw CommandLineError.failure("cannot read the study store \(directory.storePath): \(error)")
            }
        }
        guard report != nil || directory.hasStore else {
            throw CommandLineError.failure("\(directory.path) is not a gfmc run directory (no status.json, no study.sqlite)")
        }

        guard var report else {
            let total = max(study?.totalTrials ?? stored, stored)
            let status = CoordinatorStatus(studyHash: study?.identityHash ?? "", total: total, done: stored, inFlight: 0,
                                           queued: total - stored, requeues: 0, quarantined: 0, workersAlive: 0,
                                           creditsAlive: 0, trialsPerSecond: 0, etaSeconds: nil, elapsedSeconds: 0,
                                           tasksIssued: 0, rejectedMessages: 0, duplicatesDropped: 0,
                                           complete: stored == total && total > 0)
            return Output(state: "not running", endpoint: nil, pid: nil, updatedAt: nil, runDirectory: directory.path,
                          studyName: study?.name, storedTrials: stored, widths: widths, status: status)
        }
        // A "running" status whose coordinator pid is gone here and which has not been refreshed for 5 s (it is
        // rewritten every second) was left by a killed coordinator. (The freshness check keeps a coordinator on
        // another machine sharing the directory "running".)
        let age = Date().timeIntervalSince1970 - report.updatedAt
        if report.state == "running" && kill(report.pid, 0) != 0 && errno == ESRCH && age > 5 {
            report.state = "interrupted"
        }
        if report.state != "running" {
            // Not live: the store is the truth for what is done.
            var s = report.status
            s.done = max(s.done, stored)
            s.inFlight = 0
            s.total = max(s.total, s.done)
            s.queued = max(0, s.total - s.done - s.quarantined)
            s.workersAlive = 0
            s.creditsAlive = 0
            s.etaSeconds = s.queued == 0 ? 0 : nil
            s.complete = report.state == "complete" || (s.queued == 0 && s.total > 0 && s.quarantined == 0)
            report.status = s
        }
        return Output(state: report.state, endpoint: report.endpoint, pid: report.pid, updatedAt: report.updatedAt,
                      runDirectory: directory.path, studyName: study?.name, storedTrials: stored, widths: widths,
                      status: report.status)
    }
}
