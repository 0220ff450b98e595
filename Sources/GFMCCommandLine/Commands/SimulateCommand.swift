import Foundation
import GFMCApplication
import GFMCCoordination
import GFMCModel

/// `gfmc simulate --workers N --trials T --seed S [--json]`: both protocol cores against each other on a
/// simulated clock and a hostile simulated network, with the invariants checked after every step.
struct SimulateCommand: GFMCCommand {
    struct Options: CommandOptions {
        let workers = Option.int("workers", valueName: "N", help: "Worker processes alive at once (crashed or stopped ones are replaced).", defaultValue: "4", in: 1...100_000)
        let trials = Option.int("trials", valueName: "T", help: "Trials of the simulated study.", defaultValue: "1000", in: 1...10_000_000)
        let seed = Option.uint64("seed", valueName: "S", help: "Seed of every random choice (losses, delays, crashes, partitions, timings); a seed replays the same run.", defaultValue: "1")
        let json = Option.flag("json", help: "Print the report as one JSON object instead of text.")
    }
    static let options = Options()

    static let configuration = CommandConfiguration(
        name: "simulate",
        abstract: "Check the protocol cores against each other on a lossy simulated network.",
        discussion: """
        Messages are lost (2 %), delivered twice (2 %) and delayed 1–80 ms (so they overtake each other); worker
        links are partitioned for 0.5–8 s; workers crash and are stopped (SIGTERM) and are replaced; the
        coordinator crashes up to 3 times and a new one starts on the surviving store 0.2–3 s later. After every
        step the simulation checks that no trial is persisted twice, that a result is accepted only from the
        worker holding the task's lease and for exactly its trials, that no worker holds more tasks than its
        credits and computes more jobs than its slots; at the end, that every trial was persisted. Exit status
        0 when every invariant held, 1 otherwise. Everything but wallSeconds is a function of the options.
        """,
        options: options.specs,
        positionals: [],
        examples: ["simulate --workers 4 --trials 2000 --seed 7", "simulate --workers 16 --trials 20000 --seed 1 --json"])

    let settings: SimulationSettings
    let json: Bool

    init(arguments: ParsedArguments) throws {
        settings = SimulationSettings(workers: try arguments[Self.options.workers] ?? 4,
                                      trials: try arguments[Self.options.trials] ?? 1000,
                                      seed: try arguments[Self.options.seed] ?? 1)
        json = try arguments[Self.options.json]
    }

    func run(context: CommandContext) throws -> Int32 {
        let start = ContinuousClock.now
        var report = try ProtocolSimulation.run(settings)
        let elapsed = (ContinuousClock.now - start).components
        report.wallSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        if json {
            let data = try GFMCJSON.encoder().encode(report)
            context.print(String(decoding: data, as: UTF8.self))
        } else {
            context.print("""
            \(report.workers) workers, \(report.trials) trials, seed \(report.seed): \(report.trialsPersisted) persisted in \
            \(String(format: "%.1f", report.simulatedSeconds)) simulated s (\(String(format: "%.2f", report.wallSeconds)) s real)
            \(report.messages) messages, \(report.messagesLost) lost, \(report.duplicatesDelivered) delivered twice; \
            \(report.crashes) worker crashes, \(report.coordinatorCrashes) coordinator crashes and restarts, \
            \(report.partitions) partitions, \(report.stops) stops
            invariants \(report.invariantsHold ? "hold" : "VIOLATED")
            """)
            for violation in report.violations { context.print("  \(violation)") }
        }
        return report.invariantsHold ? ExitCode.success : ExitCode.failure
    }
}
