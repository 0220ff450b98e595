import GFMCApplication
import GFMCStudy

/// `gfmc validate [STUDY] [--resolved]`: checks a study file and summarises it (or prints it resolved).
struct ValidateCommand: GFMCCommand {
    struct Options: CommandOptions {
        let resolved = Option.flag("resolved", help: "Print the resolved study (all defaults filled) as indented JSON.")
    }
    static let options = Options()

    static let configuration = CommandConfiguration(
        name: "validate",
        abstract: "Check a study file and show what it resolves to.",
        discussion: """
        Every key is checked; an error names the key path (for example data.noise) and the allowed values. \
        Unknown keys are errors. The data are checked too, as `gfmc run` and `gfmc coordinator` check them before \
        any worker starts: data files must be readable, unchanged (x_sha256/y_sha256), well-formed CSV or .npy \
        (no ragged rows, no NaN or infinity, a sound .npy header whose size matches the file) and form a \
        problem (X and Y with the same number of rows, X of nonzero rank).

        Exit status: 0 valid; 1 invalid study file (the message names the key); 65 invalid data (the message \
        names the key, the file and the problem); 64 bad command line.
        """,
        options: options.specs,
        positionals: [PositionalSpec(name: "STUDY", help: StudyArgument.help, isRequired: false)],
        examples: ["validate configs/quick.json", "validate --resolved configs/paper-wide.json"])

    let path: String?
    let printResolved: Bool

    init(arguments: ParsedArguments) throws {
        path = arguments.positional(0)
        printResolved = try arguments[Self.options.resolved]
    }

    func run(context: CommandContext) throws -> Int32 {
        let study: StudyDescription
        let estimate: ResourceEstimate?
        let limit: MemoryLimit
        do {
            (study, estimate, limit) = try StudyArgument.loadCheckedWithEstimate(path, context: context)
        } catch CommandLineError.dataError(let message) {
            throw CommandLineError.dataError("invalid: \(message)")
        }
        if printResolved {
            context.print(study.prettyJSON)
            return ExitCode.success
        }
        let source = path ?? "embedded quick study"
        context.print("\(source): valid")
        context.print("  name      \(study.name)")
        context.print("  identity  \(study.identityHash)")
        context.print("  data      \(study.data.recipe.rawValue)")
        context.print("  init      \(study.initialization.kind.rawValue)")
        context.print("  widths    \(study.widths.count): \(study.widths.map(String.init).joined(separator: ", "))")
        if let trials = study.trials {
            context.print("  trials    \(trials) per width, \(trials * study.widths.count) in all")
        } else if let p = study.precision {
            context.print("  trials    until \(p.targets.count) precision target(s) are met, at most "
                          + "\(p.maxTrialsPerWidth) per width")
        }
        var method = study.method.rawValue
        if let step = study.gdStep { method += " (step \(step) on the \(study.gdLoss?.rawValue ?? "half") loss)" }
        context.print("  engine    \(study.engine.rawValue), method \(method)")
        if let e = estimate {
            context.print("  memory    coordinator \(ResourceEstimate.format(e.coordinatorBytes)), data "
                          + "\(ResourceEstimate.format(e.dataBytes)) per worker, largest trial (h = \(e.largestWidth), "
                          + "\(e.engine.rawValue)) \(ResourceEstimate.format(e.largestTrialBytes)); limit "
                          + "\(ResourceEstimate.format(limit.bytes)) (\(limit.source))")
        }
        return ExitCode.success
    }
}
