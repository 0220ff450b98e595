import Foundation
import GFMCApplication

/// `gfmc merge DIR... --out DIR`: combines run directories of one trial definition into a new one.
struct MergeCommand: GFMCCommand {
    struct Options: CommandOptions {
        let out = Option.required("out", short: "o", valueName: "DIR",
                                  help: "The new run directory (must not exist, or be empty).")
    }
    static let options = Options()

    static let configuration = CommandConfiguration(
        name: "merge",
        abstract: "Combine run directories of one study (its shards or other sizes) into a new one.",
        usage: ["merge DIR... --out DIR"],
        discussion: """
        Copies every stored trial of the input run directories into the new run directory --out and writes its \
        report (trials.csv, summary.json, report.html) as `gfmc report` does. The inputs are typically the \
        shards of one study (`gfmc run --shard I/N` on different machines or clusters), or runs of one study of \
        different sizes. Its study is the first input's with the union of all widths and the largest trial count; \
        running it with `gfmc run` (the same or a bigger study) resumes it, computing only missing trials.

        The inputs are checked before anything is written: each must be a run directory holding a study, no \
        coordinator on this machine may be running on it (its store would still change), and all must define \
        trials identically (same data, init, engine settings, seed, ...; name, trials, widths and precision may \
        differ); otherwise the merge is refused naming the directory and the keys that differ. A trial held by \
        several inputs must be identical in every field except wallSeconds (a trial is a pure function of its \
        study and identity), or the merge fails naming the trial and the directories. A failed merge removes \
        what it wrote. Quarantine records are not copied. The inputs are only read.

        Exit status: 0 merged; 1 an input is not a readable run directory, --out is not new or empty, or a file \
        cannot be written; 64 bad command line; 65 the inputs define trials differently (message lists the keys), \
        or two inputs hold different results for the same trial (message names it); 75 a coordinator is running \
        on an input.
        """,
        options: options.specs,
        positionals: [PositionalSpec(name: "DIR", help: "Run directories to merge (at least one).", isVariadic: true)],
        examples: ["merge runs/wide-shard-0-of-3 runs/wide-shard-1-of-3 runs/wide-shard-2-of-3 --out runs/wide",
                   "report runs/wide"])

    let inputs: [String]
    let out: String

    init(arguments: ParsedArguments) throws {
        inputs = arguments.positionals
        out = try arguments[Self.options.out]
    }

    func run(context: CommandContext) throws -> Int32 {
        let prefix = "\(GFMCMain.toolName) merge"
        let output = RunDirectory(path: context.resolvePath(out))
        do {
            let outcome = try RunDirectoryMerge.merge(inputs: inputs.map { RunDirectory(path: context.resolvePath($0)) },
                                                      output: output)
            context.writeOutput(outcome.report.terminal)
            let copied = zip(inputs, outcome.importedPerInput).map { "\($0): \($1)" }.joined(separator: ", ")
            context.print("Merged \(outcome.storedTrials) trials into \(output.path) (\(copied); "
                          + "\(outcome.duplicates) identical duplicates). Report: \(output.reportPath)")
            if let total = outcome.study.totalTrials, outcome.report.storedTrials < total {
                context.print("The merged study has \(total) trials, \(total - outcome.report.storedTrials) missing; "
                              + "compute them with: \(GFMCMain.toolName) run STUDY --out \(shellQuoted(output.path))")
            }
            return ExitCode.success
        } catch let error as RunDirectoryStudyMismatch {
            context.printError("\(prefix): error: \(error)")
            return RunExitCode.studyMismatch
        } catch let error as MergeConflict {
            context.printError("\(prefix): error: \(error)")
            return RunExitCode.studyMismatch
        } catch let error as MergeInputInUse {
            context.printError("\(prefix): error: \(error)")
            return RunExitCode.locked
        }
    }
}
