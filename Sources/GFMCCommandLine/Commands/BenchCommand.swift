import Foundation
import GFMCApplication
import GFMCBenchmarks
import GFMCEngine
import GFMCLinearAlgebra
import GFMCModel

/// `gfmc bench`: times the engines on the paper's wide-network problem against a NumPy/SciPy baseline run in
/// the same process tree, the `weights` right-hand side against bare BLAS, the whole paper study, and the
/// coordinator; prints Markdown tables (progress on stderr) and optionally writes JSON.
struct BenchCommand: GFMCCommand {
    static let parts = ["engines", "baseline", "rhs", "study", "coordinator"]

    struct Options: CommandOptions {
        let quick = Option.flag("quick", help: "A version that finishes in under a minute on an idle machine: widths 500,2000, 1 repetition, no sampled-gd, 3-second budgets (so GD times are extrapolated), 5 study trials per width, 200 dispatch tasks; explicit options still win.")
        let parts = Option.list("parts", help: "Which parts run: \(BenchCommand.parts.joined(separator: ",")).", defaultValue: BenchCommand.parts.joined(separator: ","))
        let widths = Option.list("widths", help: "Widths h for the engines, baseline and rhs parts.", defaultValue: "500,2000,10000")
        let sampledWidths = Option.list("sampled-widths", help: "Extra widths for sampled-flow only (empty string for none).", defaultValue: "1000000,1000000000")
        let engines = Option.list("engines", help: "Engine cases: \(BenchEngineCase.allCases.map(\.rawValue).joined(separator: ",")).", defaultValue: "all")
        let repetitions = Option.int("repetitions", short: "r", valueName: "K", help: "Trials timed per engine and width (indices 0..K-1).", defaultValue: "3", in: 1...1000)
        let baselineRepetitions = Option.int("baseline-repetitions", valueName: "K", help: "Python trials per width for gd and ivp (the first K of the same starts); reduced runs --repetitions trials.", defaultValue: "1", in: 1...100)
        let baselineMethods = Option.list("baseline-methods", help: "Any of gd, ivp, reduced.", defaultValue: "gd,ivp,reduced")
        let maxTrialSeconds = Option.double("max-trial-seconds", valueName: "S", help: "Budget per weights-gd trial before extrapolating.", defaultValue: "60", requirement: "> 0") { $0 > 0 }
        let baselineGDMaxSeconds = Option.double("baseline-gd-max-seconds", valueName: "S", help: "Budget per Python GD trial before extrapolating.", defaultValue: "200", requirement: "> 0") { $0 > 0 }
        let ivpMaxSeconds = Option.double("ivp-max-seconds", valueName: "S", help: "Budget per solve_ivp or reduced trial (a stopped one is a lower bound).", defaultValue: "900", requirement: "> 0") { $0 > 0 }
        let studyTrials = Option.int("study-trials", valueName: "T", help: "Trials per width in the study part (1000 = the goal, run in full).", defaultValue: "1000", in: 1...100_000)
        let studyThreads = Option.int("study-threads", valueName: "K", help: "Threads for the study part.", defaultValue: "2", in: 1...256)
        let studyMethod = Option.choice("study-method", valueName: "METHOD", help: "flow or gd for the study part.", defaultValue: "flow", among: [FlowMethod.flow, .gd])
        let coordinatorTasks = Option.int("coordinator-tasks", valueName: "N", help: "Trivial tasks for the dispatch-throughput measurement.", defaultValue: "2000", in: 1...10_000_000)
        let coordinatorStudyTrials = Option.int("coordinator-study-trials", valueName: "T", help: "Trials per width of the CPU-bound study timed with 1 and 2 workers.", defaultValue: "100", in: 1...100_000)
        let baseline = Option.string("baseline", valueName: "PATH", help: "The Python baseline script.", defaultValue: "tools/baseline/wide_network.py")
        let python = Option.string("python", valueName: "EXE", help: "Python interpreter.", defaultValue: "python3")
        let dataSeed = Option.uint64("data-seed", valueName: "SEED", help: "Seed of X, Θ and ε.", defaultValue: "530")
        let seed = Option.uint64("seed", valueName: "SEED", help: "Study seed of the initial weights.", defaultValue: "53")
        let json = Option.string("json", valueName: "FILE", help: "Also write every measurement as JSON to FILE.")
    }
    static let options = Options()

    static let configuration = CommandConfiguration(
        name: "bench",
        abstract: "Benchmark the engines (vs NumPy/SciPy), the paper's study and the coordinator.",
        discussion: """
        Workload: the paper's wide-network problem (N = 100, n = 400, m = 1, X entries N(0, 1/400), \
        Y = XΘ + ε, U(0), V(0) entries N(0, 1/h)). Parts (--parts, comma-separated; default all):
          engines      time per trial of weights-flow, gram-flow, sampled-flow, sampled-flow-dop853 (the \
        sampled flow with "scheme": "dop853"), weights-gd, gram-gd and sampled-gd at each --widths, and the \
        sampled flows also at --sampled-widths.
          baseline     tools/baseline/wide_network.py on the same data and initial weights, with \
        OPENBLAS_NUM_THREADS=1: (a) the paper's full-width GD, (b) SciPy solve_ivp, (c) the sampled engine's \
        reduced flow in NumPy/SciPy from the same K_r(0), C(0), with the sampled flows' integration alone \
        timed too (what that baseline's timer covers); speed-up ratios.
          rhs          the weights engine's time per right-hand side against the bare BLAS products.
          study        the paper's 20-width study through the engine on --study-threads threads \
        (--study-trials per width; below 1000 the time is extrapolated, and the table says so).
          coordinator  round-trip dispatch throughput with trivial tasks, and the speed-up of 2 workers \
        over 1 on a CPU-bound study (gfmc run --workers K).
        A weights-gd trial predicted to exceed --max-trial-seconds, or a Python GD trial exceeding \
        --baseline-gd-max-seconds, is cut and extrapolated to the iteration count of the Gram-form GD on the \
        same start, and marked so. \
        All gfmc timings use one BLAS thread. Run on an otherwise idle machine: the load average is recorded.
        """,
        options: options.specs,
        examples: ["bench --quick", "bench --parts engines,baseline --widths 2000 --repetitions 5",
                   "bench --json bench.json > bench.md"])

    struct Plan {
        var parts: Set<String>
        var widths: [Int]
        var sampledWidths: [Int]
        var engines: [BenchEngineCase]
        var repetitions: Int
        var baselineRepetitions: Int
        var baselineMethods: [String]
        var maxTrialSeconds: Double
        var baselineGDMaxSeconds: Double
        var ivpMaxSeconds: Double
        var studyTrials: Int
        var studyThreads: Int
        var studyMethod: FlowMethod
        var coordinatorTasks: Int
        var coordinatorStudyTrials: Int
        var baselineScript: String
        var python: String
        var dataSeed: UInt64
        var seed: UInt64
        var jsonPath: String?
    }

    let plan: Plan
    let commandLine: String

    init(arguments: ParsedArguments) throws {
        let o = Self.options
        let quick = try arguments[o.quick]
        func widths(_ option: Option<[String]?>, _ fallback: [Int]) throws -> [Int] {
            guard let items = try arguments[option] else { return fallback }
            return try items.map { item in
                guard let v = Int(item), v >= 1 else {
                    throw CommandLineError.usage("--\(option.spec.name): '\(item)' is not a width ≥ 1")
                }
                return v
            }
        }
        let parts = Set(try arguments[o.parts] ?? Self.parts)
        for p in parts where !Self.parts.contains(p) {
            throw CommandLineError.usage("--parts: unknown part '\(p)'; allowed: \(Self.parts.joined(separator: ", "))")
        }
        // The quick version leaves out sampled-gd (seconds per trial at any h; gram-gd shows the same iterations).
        var engines = quick ? BenchEngineCase.allCases.filter { $0 != .sampledGD } : BenchEngineCase.allCases
        if let names = try arguments[o.engines], names != ["all"] {
            engines = try names.map { name in
                guard let c = BenchEngineCase(rawValue: name) else {
                    throw CommandLineError.usage("--engines: unknown engine case '\(name)'; allowed: "
                                                 + BenchEngineCase.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return c
            }
        }
        let methods = try arguments[o.baselineMethods] ?? ["gd", "ivp", "reduced"]
        for m in methods where !["gd", "ivp", "reduced"].contains(m) {
            throw CommandLineError.usage("--baseline-methods: unknown method '\(m)'; allowed: gd, ivp, reduced")
        }
        plan = Plan(parts: parts,
                    widths: try widths(o.widths, quick ? [500, 2000] : [500, 2000, 10_000]),
                    sampledWidths: try widths(o.sampledWidths, [1_000_000, 1_000_000_000]),
                    engines: engines,
                    repetitions: try arguments[o.repetitions] ?? (quick ? 1 : 3),
                    baselineRepetitions: try arguments[o.baselineRepetitions] ?? 1,
                    baselineMethods: methods,
                    maxTrialSeconds: try arguments[o.maxTrialSeconds] ?? (quick ? 3 : 60),
                    baselineGDMaxSeconds: try arguments[o.baselineGDMaxSeconds] ?? (quick ? 3 : 200),
                    ivpMaxSeconds: try arguments[o.ivpMaxSeconds] ?? (quick ? 15 : 900),
                    studyTrials: try arguments[o.studyTrials] ?? (quick ? 5 : 1000),
                    studyThreads: try arguments[o.studyThreads] ?? 2,
                    studyMethod: try arguments[o.studyMethod] ?? .flow,
                    coordinatorTasks: try arguments[o.coordinatorTasks] ?? (quick ? 200 : 2000),
                    coordinatorStudyTrials: try arguments[o.coordinatorStudyTrials] ?? (quick ? 5 : 100),
                    baselineScript: try arguments[o.baseline] ?? "tools/baseline/wide_network.py",
                    python: try arguments[o.python] ?? "python3",
                    dataSeed: try arguments[o.dataSeed] ?? 530,
                    seed: try arguments[o.seed] ?? 53,
                    jsonPath: try arguments[o.json])
        commandLine = "gfmc bench " + Self.reconstruct(arguments)
    }

    /// The command line as given (for the report header).
    static func reconstruct(_ arguments: ParsedArguments) -> String {
        var words: [String] = []
        for spec in arguments.declared {
            guard let values = arguments.values[spec.name] else { continue }
            for v in values { words.append(spec.takesValue ? "--\(spec.name) \(v.isEmpty ? "''" : v)" : "--\(spec.name)") }
        }
        return words.joined(separator: " ")
    }

    func run(context: CommandContext) throws -> Int32 {
        BLASThreads.set(1)
        let log: (String) -> Void = { context.printError($0) }
        let (report, _) = try BenchClock.measure { () throws -> BenchReport in
            var report = BenchReport(command: commandLine.trimmingCharacters(in: .whitespaces),
                                     machineAtStart: BenchMachine.current(directory: context.currentDirectory))
            log("gfmc bench: \(report.machineAtStart.loadDescription)")
            let start = ContinuousClock.now
            try runParts(into: &report, context: context, log: log)
            report.totalSeconds = BenchClock.seconds(ContinuousClock.now - start)
            report.loadAverageAtEnd = BenchMachine.loadAverage(from: try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
            return report
        }
        context.writeOutput(report.markdown)
        if let path = plan.jsonPath {
            let encoder = GFMCJSON.encoder([.prettyPrinted, .sortedKeys])
            let resolved = context.resolvePath(path)
            do {
                try encoder.encode(report).write(to: URL(fileURLWithPath: resolved), options: .atomic)
            } catch {
                throw CommandLineError.failure("--json: cannot write \(resolved): \(error.localizedDescription)")
            }
        }
        return ExitCode.success
    }

    private func runParts(into report: inout BenchReport, context: CommandContext, log: @escaping (String) -> Void) throws {
        let network = try BenchWideNetwork(dataSeed: plan.dataSeed, studySeed: plan.seed)
        let timer = BenchEngineTimer(network: network, maxTrialSeconds: plan.maxTrialSeconds, log: log)

        if plan.parts.contains("engines") {
            log("engines: widths \(plan.widths), \(plan.repetitions) trials each")
            // Gram-form GD first at each width: its iteration counts drive the extrapolations.
            let ordered = plan.engines.sorted { ($0 == .gramGD ? 0 : 1) < ($1 == .gramGD ? 0 : 1) }
            for c in ordered { try timer.warmUp(c, width: plan.widths.min() ?? 500) }
            for width in plan.widths {
                for c in ordered { report.engines.append(try timer.measure(c, width: width, repetitions: plan.repetitions)) }
            }
            for c in ordered where c.isSampledFlow {
                for width in plan.sampledWidths where !plan.widths.contains(width) {
                    report.engines.append(try timer.measure(c, width: width, repetitions: plan.repetitions))
                }
            }
            if plan.parts.contains("baseline") && plan.baselineMethods.contains("reduced") {
                for c in ordered where c.isSampledFlow {
                    for width in plan.widths {
                        report.integrations.append(try timer.measureIntegration(c, width: width,
                                                                                repetitions: plan.repetitions))
                    }
                }
            }
        }

        if plan.parts.contains("baseline") {
            log("baseline: \(plan.baselineMethods) at widths \(plan.widths)")
            let script = context.resolvePath(plan.baselineScript)
            report.baselineScript = plan.baselineScript
            let runner = BenchBaselineRunner(python: plan.python, script: script, gdMaxSeconds: plan.baselineGDMaxSeconds,
                                             ivpMaxSeconds: plan.ivpMaxSeconds, log: log)
            do {
                report.baseline = try runner.run(network: network, methods: plan.baselineMethods, widths: plan.widths,
                                                 trials: plan.baselineRepetitions, reducedTrials: plan.repetitions,
                                                 iterations: { try timer.gradientDescentIterations($0) })
            } catch let error as BenchBaselineError {
                report.skipped["baseline"] = error.description
                log("baseline: \(error)")
            }
        }

        if plan.parts.contains("rhs") {
            log("rhs: weights engine per-RHS time vs bare BLAS at widths \(plan.widths)")
            for width in plan.widths {
                let m = try BenchRHS.measure(network: network, width: width, repetitions: max(1, min(plan.repetitions, 2)))
                log("  h=\(width): engine \(BenchFormat.seconds(m.enginePerRHS?.median)) per RHS, "
                    + "bare \(BenchFormat.seconds(m.barePerRHS?.median)), ratio \(BenchFormat.ratio(m.ratio))")
                report.rhs.append(m)
            }
        }

        if plan.parts.contains("study") {
            log("study: 20 widths × \(plan.studyTrials) trials, \(plan.studyThreads) threads, method \(plan.studyMethod.rawValue)")
            let s = try BenchStudy.run(network: network, method: plan.studyMethod, trialsPerWidth: plan.studyTrials,
                                       targetTrialsPerWidth: 1000, threads: plan.studyThreads)
            log("  \(s.trialsRun) trials in \(BenchFormat.seconds(s.seconds)); full study "
                + "\(BenchFormat.seconds(s.fullStudySeconds))\(s.extrapolated ? " (extrapolated)" : "")")
            report.study = s
        }

        if plan.parts.contains("coordinator") {
            log("coordinator: dispatch throughput and 2-worker speed-up")
            do {
                report.coordinator = try BenchCoordinatorRunner(tasks: plan.coordinatorTasks,
                                                                studyTrialsPerWidth: plan.coordinatorStudyTrials,
                                                                repetitions: 1, log: log).run()
            } catch let error as BenchCoordinatorError {
                report.skipped["coordinator"] = error.description
                log("coordinator: \(error)")
            }
        }
    }
}
