import Foundation
import GFMCApplication
import GFMCEngine
import GFMCModel
import GFMCStudy

/// `gfmc trial`: one trial, printed as one JSON object (snake_case keys).
///
/// * `--problem FILE`: explicit X, Y, U0, V0 with the `weights` or `gram` engine.
/// * `--study FILE --width H --index I`: trial I at width H of a study, exactly as a worker would run it.
struct TrialCommand: GFMCCommand {
    struct Options: CommandOptions {
        let problem = Option.string("problem", valueName: "FILE", help: "JSON file with X, Y, U0, V0 (explicit weights).")
        let study = Option.string("study", valueName: "FILE",
                                  help: "Study file whose trial to run (with --width and --index).")
        let width = Option.int("width", valueName: "H", help: "Hidden width of the study trial (one of the study's widths).",
                               in: 1...Int.max)
        let index = Option.int("index", valueName: "I", help: "Trial index at that width (0-based).", in: 0...Int.max)
        let engine = Option.choice(
            "engine", valueName: "NAME",
            help: "Engine: weights or gram with --problem; auto, weights, gram or sampled with --study.",
            defaultValue: "weights (--problem), the study's (--study)", among: [EngineChoice.auto, .weights, .gram, .sampled])
        let method = Option.choice("method", valueName: "NAME",
                                   help: "Gradient flow or fixed-step gradient descent (--problem).",
                                   defaultValue: "flow", among: [MethodChoice.flow, .gd])
        let gdStep = Option.double("gd-step", valueName: "ETA", help: "GD step η, required with --method gd (--problem).",
                                   requirement: "> 0") { $0 > 0 }
        let gdLoss = Option.choice(
            "gd-loss", valueName: "LOSS",
            help: "Loss the GD step refers to: half = ½‖Y−XUVᵀ‖², mean = (1/N)‖Y−XUVᵀ‖² (step 2η/N on the ½-loss).",
            defaultValue: "half", among: [GDLossScaling.half, .mean])
        let alpha = Option.double(
            "alpha", valueName: "A",
            help: "Width-scaling exponent α ∈ (1/4, 1/2] for the Lemma 11 / Theorem 12 checks (--problem).",
            requirement: "in (1/4, 1/2]") { $0 > 0.25 && $0 <= 0.5 }
        let delta = Option.repeated("delta", valueName: "D",
                                    help: "Failure probability δ ∈ (0, 1) for the bound checks (--problem).")
        let relativeTolerance = Option.double("relative-tolerance", valueName: "R",
                                              help: "Integrator relative tolerance (--problem).", defaultValue: "1e-10",
                                              requirement: "in (0, 1)") { $0 > 0 && $0 < 1 }
        let excessLoss = Option.double("excess-loss", valueName: "E",
                                       help: "Converged needs L − L* ≤ E on the ½-loss (--problem).",
                                       defaultValue: "1e-12", requirement: "≥ 0") { $0 >= 0 }
        let thetaChange = Option.double("theta-change", valueName: "C",
                                        help: "Converged needs the remaining relative motion of UVᵀ ≤ C (--problem).",
                                        defaultValue: "1e-10", requirement: "> 0") { $0 > 0 }
        let maxSteps = Option.int("max-steps", valueName: "K", help: "Cap on steps or GD iterations (--problem).",
                                  defaultValue: "1000000", in: 1...Int.max)
        let maxTime = Option.double("max-time", valueName: "T", help: "Cap on gradient-flow time (--problem).",
                                    defaultValue: "1e6", requirement: "> 0") { $0 > 0 }
        let output = Option.string("output", short: "o", valueName: "FILE",
                                   help: "Also write the JSON to FILE (atomically; nothing is written on error).")

        /// The options that only apply with --problem (a study sets them in its file).
        var problemOnly: [OptionSpec] {
            [method.spec, gdStep.spec, gdLoss.spec, alpha.spec, delta.spec, relativeTolerance.spec, excessLoss.spec,
             thetaChange.spec, maxSteps.spec, maxTime.spec]
        }
    }
    static let options = Options()

    static let configuration = CommandConfiguration(
        name: "trial",
        abstract: "Run one trial and print every quantity it reports as JSON.",
        usage: [
            "trial --problem FILE [--engine weights|gram] [--method flow|gd] [--gd-step ETA] [options]",
            "trial --study FILE --width H --index I [--engine auto|weights|gram|sampled]",
        ],
        discussion: """
        With --problem, FILE is a JSON object with keys "X" (N×n), "Y" (N×m), "U0" (n×h), "V0" (m×h), each a
        row-major array of rows of numbers; the output adds "theta" and "theta_hat" (n×m, arrays of rows).
        With --study, the trial is a pure function of (study, width, index): it is the same trial a worker
        runs. Non-finite numbers are written as the strings "nan", "inf", "-inf". A trial that stopped at a
        cap is printed with "converged": false and exit status 0; errors print nothing on standard output and
        exit with status 1 (64 for a wrong command line).
        """,
        options: options.specs,
        examples: [
            "trial --problem problem.json --engine gram",
            "trial --problem problem.json --method gd --gd-step 1e-3",
            "trial --study configs/quick.json --width 126 --index 3",
        ])

    enum Mode {
        case problem(path: String, engine: EngineKind, settings: IntegrationSettings, gdStep: Double?,
                     gdLoss: GDLossScaling, alpha: Double?, deltas: [Double])
        case study(path: String, width: Int, index: Int, engine: EngineChoice?)
    }

    let mode: Mode
    let outputPath: String?

    init(arguments a: ParsedArguments) throws {
        let o = Self.options
        outputPath = try a[o.output]
        switch (try a[o.problem], try a[o.study]) {
        case (nil, nil):
            throw CommandLineError.usage("give --problem FILE or --study FILE (with --width and --index)")
        case (.some, .some):
            throw CommandLineError.usage("--problem and --study cannot be used together")
        case (let path?, nil):
            for spec in [o.width.spec, o.index.spec] where a.has(spec.name) {
                throw CommandLineError.usage("--\(spec.name) applies to --study, not --problem")
            }
            let choice = try a[o.engine] ?? .weights
            guard let engine = EngineKind(rawValue: choice.rawValue), engine != .sampled else {
                throw CommandLineError.usage("--engine: '\(choice.rawValue)' cannot run explicit weights; use weights or gram")
            }
            var settings = IntegrationSettings()
            settings.method = try a[o.method] == .gd ? .gd : .flow
            if let v = try a[o.relativeTolerance] { settings.relativeTolerance = v }
            if let v = try a[o.excessLoss] { settings.excessLossTolerance = v }
            if let v = try a[o.thetaChange] { settings.thetaChangeTolerance = v }
            if let v = try a[o.maxSteps] { settings.maxSteps = v }
            if let v = try a[o.maxTime] { settings.maxTime = v }
            let gdStep = try a[o.gdStep]
            if settings.method == .gd && gdStep == nil {
                throw CommandLineError.usage("missing option --gd-step (required with --method gd)")
            }
            if settings.method == .flow && (gdStep != nil || a.isGiven(o.gdLoss)) {
                throw CommandLineError.usage("--gd-step and --gd-loss apply only with --method gd")
            }
            let alpha = try a[o.alpha]
            let deltas = try a[o.delta].map { text -> Double in
                guard let d = Double(text), d > 0, d < 1 else {
                    throw CommandLineError.usage("--delta: '\(text)' must be a number in (0, 1)")
                }
                return d
            }
            if !deltas.isEmpty && alpha == nil {
                throw CommandLineError.usage("--delta needs --alpha (the bounds depend on the width scaling α)")
            }
            mode = .problem(path: path, engine: engine, settings: settings, gdStep: gdStep,
                            gdLoss: try a[o.gdLoss] ?? .half, alpha: alpha, deltas: deltas)
        case (nil, let path?):
            for spec in o.problemOnly where a.has(spec.name) {
                throw CommandLineError.usage("--\(spec.name) applies to --problem; a study sets it in its file")
            }
            let width = try a[o.width]
            let index = try a[o.index]
            guard let width else { throw CommandLineError.usage("missing option --width (required with --study)") }
            guard let index else { throw CommandLineError.usage("missing option --index (required with --study)") }
            mode = .study(path: path, width: width, index: index, engine: try a[o.engine])
        }
    }

    func run(context: CommandContext) throws -> Int32 {
        let json: JSONValue
        switch mode {
        case .problem(let path, let engine, var settings, let gdStep, let gdLoss, let alpha, let deltas):
            let file = try TrialProblemFile.load(path: context.resolvePath(path))
            let problem = try Problem(x: file.x, y: file.y)
            if let gdStep { settings.gdStepSize = gdLoss == .mean ? 2 * gdStep / Double(problem.samples) : gdStep }
            let outcome = try TrialRunner.runExplicit(problem: problem, u0: file.u0, v0: file.v0, engine: engine,
                                                      settings: settings, alpha: alpha, deltas: deltas)
            json = try TrialJSON.object(outcome.result, extra: [
                "theta": TrialJSON.matrix(outcome.theta),
                "theta_hat": TrialJSON.matrix(outcome.thetaHat),
            ])
        case .study(let path, let width, let index, let engine):
            let study = try StudyArgument.load(path, context: context)
            let executor = try StudyExecutor(study: study, engineOverride: engine)
            let result = try executor.run(TrialID(width: width, index: index))
            json = try TrialJSON.object(result, extra: [
                "study": .string(study.name),
                "study_hash": .string(study.identityHash),
            ])
        }
        let text = JSONValue.pretty(json) + "\n"
        if let outputPath {
            let url = URL(fileURLWithPath: context.resolvePath(outputPath))
            do {
                try Data(text.utf8).write(to: url, options: .atomic)
            } catch {
                throw CommandLineError.failure("cannot write --output \(url.path): \(error.localizedDescription)")
            }
        }
        context.writeOutput(text)
        return ExitCode.success
    }
}
