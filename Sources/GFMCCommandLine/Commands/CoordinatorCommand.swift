import Foundation
import GFMCApplication
import GFMCConcurrency
import GFMCModel
import GFMCRuntime
import GFMCStudy
import GFMCTransport

/// `gfmc coordinator STUDY --bind ENDPOINT --out DIR [--curve-secret-key FILE --authorized-keys DIR_OR_FILE]
/// [--insecure] [--keep-running] [--lock-wait SECONDS]`: serves a study to remote workers.
struct CoordinatorCommand: GFMCCommand {
    struct Options: CommandOptions {
        let bind = Option.required("bind", short: "b", valueName: "ENDPOINT",
                                   help: "ZeroMQ endpoint to bind, e.g. tcp://*:5555.")
        let out = Option.string("out", short: "o", valueName: "DIR", help: "Run directory.",
                                defaultValue: "runs/<name>-<definition hash>[-shard-I-of-N]")
        let curveSecretKey = Option.string("curve-secret-key", valueName: "FILE",
                                           help: "The coordinator's CURVE secret key file (enables CURVE).")
        let authorizedKeys = Option.string("authorized-keys", valueName: "DIR_OR_FILE",
                                           help: "Worker public keys allowed to connect (requires --curve-secret-key).")
        let insecure = Option.flag("insecure",
                                   help: "Allow plaintext (no CURVE) on an endpoint beyond loopback; warns at every start.")
        let keepRunning = Option.flag("keep-running", help: "Keep serving after the study is complete (until a signal).")
        let retryQuarantined = Option.flag("retry-quarantined",
                                           help: "Retry the trials an earlier run quarantined (otherwise they stay out).")
        let shard = Option.shard(help: "Run only shard I of N (0-based): the trials whose index mod N is I; "
                                 + "combine the shards' run directories with `gfmc merge`.")
        let lockWait = Option.double("lock-wait", valueName: "SECONDS",
                                     help: "Wait up to SECONDS for a coordinator still stopping to release the run directory.",
                                     defaultValue: "0", requirement: "a number of seconds from 0 to 86400",
                                     isValid: { $0 >= 0 && $0 <= 86_400 })
    }
    static let options = Options()

    static let configuration = CommandConfiguration(
        name: "coordinator",
        abstract: "Serve a study to workers on other machines (ZeroMQ ROUTER); resumable.",
        usage: ["coordinator STUDY --bind ENDPOINT --out DIR [--curve-secret-key FILE --authorized-keys DIR_OR_FILE] [--insecure] [--keep-running] [--retry-quarantined] [--shard I/N] [--lock-wait SECONDS]"],
        discussion: """
        Binds ENDPOINT (e.g. tcp://*:5555 with CURVE) and hands trials to every `gfmc worker` that connects (see \
        docs/protocol.md). The run directory works as for `gfmc run` (store, status.json, report files, lock; \
        rerunning resumes; a study of the same trial definition and another size grows or shrinks it, reusing \
        every stored trial; a study whose trials are defined differently is refused with what changed). \
        --shard I/N serves only the trials whose index mod N is I, as for `gfmc run`. Exits when the study is complete \
        unless --keep-running. SIGINT/SIGTERM/SIGHUP/SIGUSR1 stop cleanly and tell the workers to stop.

        A trial is quarantined only when it failed repeatedly on at least two distinct hosts (CURVE keys); \
        quarantined trials stay out of later runs of the directory until --retry-quarantined. A host (or key) \
        whose workers take tasks and vanish without a result three times is refused for the rest of the run. \
        A worker of another gfmc version or numerics fingerprint is refused (it exits 7 saying why); every \
        stored trial records the build that computed it.

        While it listens, the coordinator writes the endpoint it bound, with the real port (bind tcp://*:0 to let \
        the system pick a free one), to DIR/coordinator.endpoint (one line, e.g. tcp://0.0.0.0:41873) and removes \
        it when it exits. A run directory still locked by a coordinator that is stopping is waited for up to \
        --lock-wait seconds (default 0: exit 75 at once).

        With --curve-secret-key the traffic is encrypted and authenticated with CURVE (keys from `gfmc keygen`); \
        --authorized-keys lists the worker public keys allowed in (a directory of *.pub files, or one file with \
        one key per line); anyone else is refused at the handshake (each refused key is logged once). Without \
        CURVE only loopback endpoints are served (tcp://127.0.0.1:PORT, tcp://[::1]:PORT, tcp://localhost:PORT, \
        ipc://); any other endpoint is refused unless --insecure, which warns at every start.

        \(RunExitCode.helpText)
        """,
        options: options.specs,
        positionals: [PositionalSpec(name: "STUDY", help: StudyArgument.help, isRequired: false)],
        examples: ["coordinator configs/paper-wide.json --bind tcp://127.0.0.1:5555 --out runs/wide",
                   "coordinator study.json --bind tcp://*:5555 --out runs/s --curve-secret-key coordinator.key --authorized-keys workers/"])

    let studyPath: String?
    let bind: String
    let out: String?
    let secretKeyPath: String?
    let authorizedKeysPath: String?
    let keepRunning: Bool
    let retryQuarantined: Bool
    let shard: TrialShard?
    let insecure: Bool
    let lockWaitSeconds: Double

    init(arguments: ParsedArguments) throws {
        studyPath = arguments.positional(0)
        bind = try arguments[Self.options.bind]
        out = try arguments[Self.options.out]
        secretKeyPath = try arguments[Self.options.curveSecretKey]
        authorizedKeysPath = try arguments[Self.options.authorizedKeys]
        keepRunning = try arguments[Self.options.keepRunning]
        retryQuarantined = try arguments[Self.options.retryQuarantined]
        shard = try arguments[Self.options.shard]
        insecure = try arguments[Self.options.insecure]
        lockWaitSeconds = try arguments[Self.options.lockWait] ?? 0
        if authorizedKeysPath != nil && secretKeyPath == nil {
            throw CommandLineError.usage("--authorized-keys requires --curve-secret-key")
        }
    }

    func run(context: CommandContext) throws -> Int32 {
        switch PlaintextPolicy.verdict(endpoint: bind, role: .bind, usesCurve: secretKeyPath != nil, insecure: insecure) {
        case .allowed: break
        case .allowedInsecure(let warning): context.printError("gfmc coordinator: warning: \(warning)")
        case .refused(let reason): throw CommandLineError.usage(reason)
        }
        let study = try StudyArgument.loadChecked(studyPath, context: context)
        if shard != nil && study.precision != nil {
            throw CommandLineError.usage("--shard is not available for a study with precision targets: it chooses "
                                         + "its trials from the results as they come; run it whole")
        }
        let curve = try Self.curveKeys(secretKey: secretKeyPath, authorized: authorizedKeysPath, context: context)
        if curve != nil && curve?.allowedWorkerKeys == nil {
            context.printError("gfmc coordinator: warning: CURVE without --authorized-keys admits any worker that knows the server's public key")
        }
        let directory = RunDirectory(path: context.resolvePath(out ?? RunDirectory.defaultPath(for: study, shard: shard)))
        try directory.checkUsableAsOutput()
        let stop = StopFlag()
        let handlers = stop.installSignalHandlers(StopFlag.stopSignals + [SIGUSR1])
        defer { withExtendedLifetime(handlers) {} }
        let display = ProgressDisplay(context: context, isTerminal: ProgressDisplay.standardErrorIsTerminal(context))
        var resume = "\(GFMCMain.toolName) coordinator"
        if let studyPath { resume += " \(shellQuoted(studyPath))" }
        resume += " --bind \(shellQuoted(bind)) --out \(shellQuoted(directory.path))"
        if let secretKeyPath { resume += " --curve-secret-key \(shellQuoted(secretKeyPath))" }
        if let authorizedKeysPath { resume += " --authorized-keys \(shellQuoted(authorizedKeysPath))" }
        if insecure { resume += " --insecure" }
        if let shard { resume += " --shard \(shard)" }
        var session = RunDirectoryCoordinator(study: study, directory: directory, endpoint: bind, resumeCommand: resume,
                                              stop: stop, display: display)
        session.curve = curve
        session.keepRunning = keepRunning
        session.retryQuarantined = retryQuarantined
        session.shard = shard
        session.lockWaitSeconds = lockWaitSeconds
        let endpointFile = EndpointFile(path: directory.endpointPath)
        session.onListening = { endpointFile.publish($0) }
        defer { endpointFile.withdraw() }
        return session.run(context: context, commandName: "coordinator")
    }

    /// The coordinator's CURVE keys from its secret key file and the allowlist (directory of *.pub files or
    /// one file of keys); nil without a secret key. Errors name the file.
    static func curveKeys(secretKey: String?, authorized: String?, context: CommandContext) throws -> CoordinatorCurveKeys? {
        guard let secretKey else { return nil }
        do {
            let pair = try CurveKeyPair.read(secretKeyPath: context.resolvePath(secretKey))
            var allowed: [String]?
            if let authorized {
                let path = context.resolvePath(authorized)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    throw CommandLineError.failure("--authorized-keys \(path): no such file or directory")
                }
                if isDirectory.boolValue {
                    let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".pub") }.sorted()
                    allowed = try names.map { try CurveKeyPair.readPublicKey(path: path + "/" + $0) }
                } else {
                    allowed = try CurveKeyPair.readPublicKeyList(path: path)
                }
                if allowed?.isEmpty == true {
                    throw CommandLineError.failure("--authorized-keys \(path) holds no public key (*.pub files or one key per line)")
                }
            }
            return CoordinatorCurveKeys(publicKey: pair.publicKey, secretKey: pair.secretKey, allowedWorkerKeys: allowed)
        } catch let error as CommandLineError {
            throw error
        } catch {
            throw CommandLineError.failure("\(error)")
        }
    }
}

/// `RUNDIR/coordinator.endpoint`: the endpoint a running coordinator bound, for workers started by a script
/// (Slurm) that cannot know a port chosen at run time. Written atomically (temporary file + rename) once the
/// socket is bound; removed at exit only if it still holds what this process wrote.
struct EndpointFile: Sendable {
    let path: String
    private let written = LockedValue<String?>(nil)  // set on the listening callback's thread, read at exit

    init(path: String) { self.path = path }

    func publish(_ endpoint: String) {
        let temporary = path + ".\(getpid()).tmp"
        do {
            try Data((endpoint + "\n").utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else { unlink(temporary); return }
            written.set(endpoint)
        } catch {
            unlink(temporary)
        }
    }

    func withdraw() {
        guard let mine = written.value else { return }
        let current = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        if current == mine { unlink(path) }
    }
}
