import Foundation
import GFMCApplication

/// `gfmc report DIR [--csv-gzip]`: rebuilds trials.csv, summary.json and report.html from the store.
struct ReportCommand: GFMCCommand {
    struct Options: CommandOptions {
        let csvGzip = Option.flag("csv-gzip",
                                  help: "Write trials.csv.gz (gzip of the same bytes) instead of trials.csv.")
    }
    static let options = Options()

    static let configuration = CommandConfiguration(
        name: "report",
        abstract: "Rebuild trials.csv, summary.json and report.html of a run directory from its store.",
        usage: ["report DIR [--csv-gzip]"],
        discussion: """
        Opens DIR/study.sqlite read-only (also while a coordinator is running) and reads it in one pass, one \
        width at a time (memory holds one width's trials), writes the three files atomically into DIR and \
        prints the summary table. The files are byte-identical to the ones a finished run writes for the same \
        stored trials (no timestamps; order-independent). With --csv-gzip the trials table is written as \
        trials.csv.gz (`gzip -dc` gives trials.csv's bytes) and a stale trials.csv is removed; without it a \
        stale trials.csv.gz is removed.

        Exit status: 0 written; 1 DIR is not a run directory, or a file cannot be read or written; 64 bad command line.
        """,
        options: options.specs,
        positionals: [PositionalSpec(name: "DIR", help: "The run directory.")],
        examples: ["report runs/quick-1a2b3c4d", "report runs/big-0badc0de --csv-gzip"])

    let path: String
    let csvGzip: Bool

    init(arguments: ParsedArguments) throws {
        guard let path = arguments.positional(0) else { throw CommandLineError.usage("missing run directory DIR") }
        self.path = path
        csvGzip = try arguments[Self.options.csvGzip]
    }

    func run(context: CommandContext) throws -> Int32 {
        let directory = RunDirectory(path: context.resolvePath(path))
        let built = try RunDirectoryReport.write(directory: directory, csvGzip: csvGzip)
        context.writeOutput(built.terminal)
        let csv = csvGzip ? RunDirectoryReport.trialsCSVGzipPath(directory) : directory.trialsCSVPath
        context.print("Wrote \(csv), \(directory.summaryPath), \(directory.reportPath) "
                      + "(\(built.storedTrials) trials).")
        return ExitCode.success
    }
}
