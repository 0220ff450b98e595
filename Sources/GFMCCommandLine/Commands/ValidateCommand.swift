import GFMCStudy

/// `gfmc validate [STUDY] [--resolved]`: checks a study file and summarises it (or prints it resolved).
struct ValidateCommand: GFMCCommand {
    static let configuration = CommandConfiguration(
        name: "validate",
        abstract: "Check a study file and show what it resolves to.",
        discussion: """
        Every key is checked; an error names the key path (for example data.noise) and the allowed values.
        Unknown keys are errors. Exit status 0 when valid, 1 when not.
        """,
        options: [.flag("resolved", help: "Print the resolved study (all defaults filled) as indented JSON.")],
        positionals: [PositionalSpec(name: "STUDY", help: StudyArgument.help, isRequired: false)],
        examples: ["validate configs/quick.json", "validate --resolved configs/paper-wide.json"])

    let path: String?
    let printResolved: Bool

    init(arguments: ParsedArguments) throws {
        path = arguments.positional(0)
        printResolved = arguments.flag("resolved")
    }

    func run(context: CommandContext) throws -> Int32 {
        let study = try StudyArgument.load(path, context: context)
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
        return ExitCode.success
    }
}
