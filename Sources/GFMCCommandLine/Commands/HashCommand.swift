import GFMCApplication
import GFMCStudy

/// `gfmc hash [STUDY] [--canonical]`: the study's identity hash (SHA-256 of its canonical JSON).
struct HashCommand: GFMCCommand {
    struct Options: CommandOptions {
        let canonical = Option.flag("canonical", help: "Print the canonical JSON that is hashed instead of the hash.")
        let trialDefinition = Option.flag("trial-definition",
                                          help: "Hash (or with --canonical print) the trial definition: the study "
                                              + "without name, trials, widths and precision.")
    }
    static let options = Options()

    static let configuration = CommandConfiguration(
        name: "hash",
        abstract: "Print a study's identity hash (SHA-256 of its canonical resolved JSON).",
        discussion: """
        Two study files that differ only in key order, whitespace, comments or defaults written out have the \
        same hash. The trial definition hash (--trial-definition) leaves out what only sets the study's size \
        (name, trials, widths, precision) and a data file's path when its SHA-256 is recorded: a run directory \
        records both, reuses its stored trials for any study of the same trial definition (grow or shrink), \
        refuses any other, and `gfmc merge` combines only directories of one trial definition.
        """,
        options: options.specs,
        positionals: [PositionalSpec(name: "STUDY", help: StudyArgument.help, isRequired: false)],
        examples: ["hash configs/quick.json"])

    let path: String?
    let printCanonical: Bool
    let trialDefinition: Bool

    init(arguments: ParsedArguments) throws {
        path = arguments.positional(0)
        printCanonical = try arguments[Self.options.canonical]
        trialDefinition = try arguments[Self.options.trialDefinition]
    }

    func run(context: CommandContext) throws -> Int32 {
        let study = try StudyArgument.load(path, context: context)
        if trialDefinition {
            context.print(printCanonical ? study.trialDefinitionJSON : study.trialDefinitionHash)
        } else {
            context.print(printCanonical ? study.canonicalJSON : study.identityHash)
        }
        return ExitCode.success
    }
}
