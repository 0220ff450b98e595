import Foundation
import GFMCRuntime
import GFMCStudy
import GFMCTransport

/// `gfmc worker --connect ENDPOINT [--slots K] [--curve-server-key FILE --curve-secret-key FILE]`.
struct WorkerCommand: GFMCCommand {
    static let configuration = CommandConfiguration(
        name: "worker",
        abstract: "Compute trials for a coordinator (ZeroMQ DEALER); survives coordinator restarts.",
        usage: ["worker --connect ENDPOINT [--slots K] [--curve-server-key FILE --curve-secret-key FILE]"],
        discussion: """
        Connects to the coordinator at ENDPOINT and runs one engine thread per slot (BLAS pinned to one thread \
        each). Reconnects with back-off when the coordinator goes away and keeps working across its restarts. \
        Exits when the coordinator says the study is over. On SIGTERM/SIGINT it hands back the tasks it has not \
        started, finishes the running ones (up to 30 s) and exits.

        CURVE: --curve-server-key is the coordinator's public key file (coordinator.pub), --curve-secret-key \
        this worker's secret key file (from `gfmc keygen`; its .pub must be in the coordinator's --authorized-keys).

        Exit status: 0 the coordinator ended the study or a signal stopped the worker; 1 error (e.g. the \
        study's data cannot be built here), or no coordinator heard for --give-up-after seconds; 64 bad command line.
        """,
        options: [
            .value("connect", short: "c", valueName: "ENDPOINT", help: "The coordinator's endpoint, e.g. tcp://host:5555.",
                   isRequired: true),
            .value("slots", short: "s", valueName: "K", help: "Engine threads (tasks computed at once).", defaultValue: "1"),
            .value("curve-server-key", valueName: "FILE", help: "The coordinator's CURVE public key file."),
            .value("curve-secret-key", valueName: "FILE", help: "This worker's CURVE secret key file."),
            .value("give-up-after", valueName: "SECONDS",
                   help: "Exit when no coordinator was heard for this long (gfmc run sets 20 for its local workers).",
                   defaultValue: "never"),
        ],
        examples: ["worker --connect tcp://coordinator.example:5555 --slots 4",
                   "worker --connect tcp://10.0.0.1:5555 --curve-server-key coordinator.pub --curve-secret-key worker.key"])

    let endpoint: String
    let slots: Int
    let serverKeyPath: String?
    let secretKeyPath: String?
    let giveUpAfter: Double?

    init(arguments: ParsedArguments) throws {
        endpoint = try arguments.required("connect")
        slots = try arguments.int("slots", in: 1...1024) ?? 1
        serverKeyPath = arguments.string("curve-server-key")
        secretKeyPath = arguments.string("curve-secret-key")
        giveUpAfter = try arguments.double("give-up-after", requirement: "a positive number of seconds") { $0 > 0 }
        if (serverKeyPath == nil) != (secretKeyPath == nil) {
            throw CommandLineError.usage("--curve-server-key and --curve-secret-key go together (CURVE needs both)")
        }
    }

    func run(context: CommandContext) throws -> Int32 {
        var options = WorkerOptions(endpoint: endpoint, slots: slots, executor: StudyTrialExecutor())
        options.workerVersion = "gfmc \(GFMCVersion.current)"
        options.giveUpAfterSeconds = giveUpAfter
        if let serverKeyPath, let secretKeyPath {
            do {
                let server = try CurveKeyPair.readKey(path: context.resolvePath(serverKeyPath))
                let pair = try CurveKeyPair.read(secretKeyPath: context.resolvePath(secretKeyPath))
                options.curve = WorkerCurveKeys(serverPublicKey: server, publicKey: pair.publicKey, secretKey: pair.secretKey)
            } catch {
                throw CommandLineError.failure("\(error)")
            }
        }
        let stop = StopFlag()
        let handlers = stop.installSignalHandlers([SIGINT, SIGTERM])
        defer { withExtendedLifetime(handlers) {} }
        options.stop = stop
        let pid = getpid()
        options.log = { context.printError("worker \(pid): \($0)") }
        let summary = try WorkerRuntime.run(options)
        context.printError("worker \(pid): \(summary.ending.rawValue): \(summary.trialsCompleted) trials in "
                           + "\(summary.tasksCompleted) tasks, \(summary.tasksFailed) failed, \(summary.tasksReturned) handed back")
        switch summary.ending {
        case .shutdown, .stopped:
            return ExitCode.success
        case .gaveUp:
            context.printError("gfmc worker: no coordinator heard at \(endpoint) for \(giveUpAfter ?? 0) s; giving up")
            return ExitCode.failure
        }
    }
}
