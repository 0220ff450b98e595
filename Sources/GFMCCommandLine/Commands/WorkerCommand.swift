import Foundation
import GFMCApplication
import GFMCCoordination
import GFMCRuntime
import GFMCStudy
import GFMCTransport

/// `gfmc worker --connect ENDPOINT [--slots K] [--prefetch N] [--curve-server-key FILE --curve-secret-key FILE] [--insecure]`.
struct WorkerCommand: GFMCCommand {
    struct Options: CommandOptions {
        let connect = Option.required("connect", short: "c", valueName: "ENDPOINT",
                                      help: "The coordinator's endpoint, e.g. tcp://host:5555.")
        let slots = Option.int("slots", short: "s", valueName: "K", help: "Engine threads (tasks computed at once).",
                               defaultValue: "1", in: 1...1024)
        let prefetch = Option.int(
            "prefetch", valueName: "N",
            help: "Tasks held queued per slot beyond the running ones, so a slot that finishes starts its next task "
                + "without waiting a round trip to the coordinator.",
            defaultValue: "1", in: 0...WorkerSettings.maxPrefetchPerSlot)
        let curveServerKey = Option.string("curve-server-key", valueName: "FILE",
                                           help: "The coordinator's CURVE public key file.")
        let curveSecretKey = Option.string("curve-secret-key", valueName: "FILE",
                                           help: "This worker's CURVE secret key file.")
        let giveUpAfter = Option.double(
            "give-up-after", valueName: "SECONDS",
            help: "Exit when no coordinator was heard for this long (gfmc run sets 20 for its local workers).",
            defaultValue: "never", requirement: "a positive number of seconds") { $0 > 0 }
        let insecure = Option.flag("insecure",
                                   help: "Allow plaintext (no CURVE) to an endpoint beyond loopback; warns at every start.")
    }
    static let options = Options()

    static let configuration = CommandConfiguration(
        name: "worker",
        abstract: "Compute trials for a coordinator (ZeroMQ DEALER); survives coordinator restarts.",
        usage: ["worker --connect ENDPOINT [--slots K] [--prefetch N] [--curve-server-key FILE --curve-secret-key FILE] [--insecure]"],
        discussion: """
        Connects to the coordinator at ENDPOINT and runs one engine thread per slot (BLAS pinned to one thread \
        each). Reconnects with back-off when the coordinator goes away and keeps working across its restarts. \
        Exits when the coordinator says the study is over. On SIGTERM/SIGINT/SIGHUP it hands back the tasks it has not \
        started, finishes the running ones (up to 30 s) and exits.

        CURVE: --curve-server-key is the coordinator's public key file (coordinator.pub), --curve-secret-key \
        this worker's secret key file (from `gfmc keygen --out NAME`: NAME.key; NAME.pub goes into the coordinator's \
        --authorized-keys). A refused handshake (key not authorized, wrong server key, CURVE on one side only) is \
        reported within seconds with its likely cause, and the worker exits 6. Without CURVE only loopback endpoints \
        are allowed (tcp://127.0.0.1:PORT, tcp://[::1]:PORT, tcp://localhost:PORT, ipc://) unless --insecure, which \
        warns at every start.

        Exit status: 0 the coordinator ended the study or a signal stopped the worker; 1 error (e.g. the \
        study's data cannot be built here), or no coordinator heard for --give-up-after seconds; 6 the \
        coordinator refused the handshake (the message names the likely cause); 7 the coordinator refused this \
        worker after the handshake (another gfmc version or numerics fingerprint, or its host or key was shut out \
        for taking tasks and vanishing; the reason is printed); 64 bad command line (including \
        plaintext beyond loopback without --insecure).
        """,
        options: options.specs,
        examples: ["worker --connect tcp://127.0.0.1:5555 --slots 4",
                   "worker --connect tcp://10.0.0.1:5555 --curve-server-key coordinator.pub --curve-secret-key worker-node17.key"])

    let endpoint: String
    let slots: Int
    let prefetch: Int
    let serverKeyPath: String?
    let secretKeyPath: String?
    let giveUpAfter: Double?
    let insecure: Bool

    init(arguments: ParsedArguments) throws {
        endpoint = try arguments[Self.options.connect]
        slots = try arguments[Self.options.slots] ?? 1
        prefetch = try arguments[Self.options.prefetch] ?? 1
        serverKeyPath = try arguments[Self.options.curveServerKey]
        secretKeyPath = try arguments[Self.options.curveSecretKey]
        giveUpAfter = try arguments[Self.options.giveUpAfter]
        insecure = try arguments[Self.options.insecure]
        if (serverKeyPath == nil) != (secretKeyPath == nil) {
            throw CommandLineError.usage("--curve-server-key and --curve-secret-key go together (CURVE needs both)")
        }
    }

    func run(context: CommandContext) throws -> Int32 {
        switch PlaintextPolicy.verdict(endpoint: endpoint, role: .connect, usesCurve: serverKeyPath != nil, insecure: insecure) {
        case .allowed: break
        case .allowedInsecure(let warning): context.printError("gfmc worker: warning: \(warning)")
        case .refused(let reason): throw CommandLineError.usage(reason)
        }
        var options = WorkerOptions(endpoint: endpoint, slots: slots, executor: StudyTrialExecutor())
        options.prefetchPerSlot = prefetch
        options.workerVersion = "gfmc \(GFMCVersion.current)"
        do {
            options.numericsFingerprint = try NumericsFingerprint.current(environment: context.environment)
        } catch {
            throw CommandLineError.failure("\(error)")
        }
        options.giveUpAfterSeconds = giveUpAfter
        if let serverKeyPath, let secretKeyPath {
            do {
                let server = try CurveKeyPair.readPublicKey(path: context.resolvePath(serverKeyPath))
                let pair = try CurveKeyPair.read(secretKeyPath: context.resolvePath(secretKeyPath))
                options.curve = WorkerCurveKeys(serverPublicKey: server, publicKey: pair.publicKey, secretKey: pair.secretKey)
            } catch {
                throw CommandLineError.failure("\(error)")
            }
        }
        let stop = StopFlag()
        let handlers = stop.installSignalHandlers()
        defer { withExtendedLifetime(handlers) {} }
        options.stop = stop
        let pid = getpid()
        options.log = { context.printError("worker \(pid): \($0)") }
        let summary: WorkerRunSummary
        do {
            summary = try WorkerRuntime.run(options)
        } catch let refusal as HandshakeRefusal {
            context.printError("gfmc worker: \(refusal)")
            return HandshakeRefusal.exitCode
        } catch let refusal as WorkerRefusedError {
            context.printError("gfmc worker: \(refusal)")
            return WorkerRefusedError.exitCode
        }
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
