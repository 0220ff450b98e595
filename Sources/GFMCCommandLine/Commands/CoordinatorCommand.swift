import Foundation
import GFMCRuntime
import GFMCStudy
import GFMCTransport

/// `gfmc coordinator STUDY --bind ENDPOINT --out DIR [--curve-secret-key FILE --authorized-keys DIR_OR_FILE]
/// [--keep-running]`: serves a study to remote workers.
struct CoordinatorCommand: GFMCCommand {
    static let configuration = CommandConfiguration(
        name: "coordinator",
        abstract: "Serve a study to workers on other machines (ZeroMQ ROUTER); resumable.",
        usage: ["coordinator STUDY --bind ENDPOINT --out DIR [--curve-secret-key FILE --authorized-keys DIR_OR_FILE] [--keep-running]"],
        discussion: """
        Binds ENDPOINT (e.g. tcp://*:5555) and hands trials to every `gfmc worker` that connects (see \
        docs/protocol.md). The run directory works as for `gfmc run` (store, status.json, report files, lock; \
        rerunning resumes; a changed study is refused with what changed). Exits when the study is complete \
        unless --keep-running. SIGINT/SIGTERM/SIGUSR1 stop cleanly and tell the workers to stop.

        With --curve-secret-key the traffic is encrypted and authenticated with CURVE (keys from `gfmc keygen`); \
        --authorized-keys lists the worker public keys allowed in (a directory of *.pub files, or one file with \
        one key per line); anyone else is refused at the handshake.

        \(RunExitCode.helpText)
        """,
        options: [
            .value("bind", short: "b", valueName: "ENDPOINT", help: "ZeroMQ endpoint to bind, e.g. tcp://*:5555.",
                   isRequired: true),
            .value("out", short: "o", valueName: "DIR", help: "Run directory.", defaultValue: "runs/<name>-<hash>"),
            .value("curve-secret-key", valueName: "FILE", help: "The coordinator's CURVE secret key file (enables CURVE)."),
            .value("authorized-keys", valueName: "DIR_OR_FILE",
                   help: "Worker public keys allowed to connect (requires --curve-secret-key)."),
            .flag("keep-running", help: "Keep serving after the study is complete (until a signal)."),
        ],
        positionals: [PositionalSpec(name: "STUDY", help: StudyArgument.help, isRequired: false)],
        examples: ["coordinator configs/paper-wide.json --bind tcp://*:5555 --out runs/wide",
                   "coordinator study.json --bind tcp://*:5555 --out runs/s --curve-secret-key coordinator.key --authorized-keys workers/"])

    let studyPath: String?
    let bind: String
    let out: String?
    let secretKeyPath: String?
    let authorizedKeysPath: String?
    let keepRunning: Bool

    init(arguments: ParsedArguments) throws {
        studyPath = arguments.positional(0)
        bind = try arguments.required("bind")
        out = arguments.string("out")
        secretKeyPath = arguments.string("curve-secret-key")
        authorizedKeysPath = arguments.string("authorized-keys")
        keepRunning = arguments.flag("keep-running")
        if authorizedKeysPath != nil && secretKeyPath == nil {
            throw CommandLineError.usage("--authorized-keys requires --curve-secret-key")
        }
    }

    func run(context: CommandContext) throws -> Int32 {
        let study = try StudyArgument.load(studyPath, context: context)
        let curve = try Self.curveKeys(secretKey: secretKeyPath, authorized: authorizedKeysPath, context: context)
        if curve != nil && curve?.allowedWorkerKeys == nil {
            context.printError("gfmc coordinator: warning: CURVE without --authorized-keys admits any worker that knows the server's public key")
        }
        let directory = RunDirectory(path: context.resolvePath(out ?? RunDirectory.defaultPath(for: study)))
        let stop = StopFlag()
        let handlers = stop.installSignalHandlers([SIGINT, SIGTERM, SIGUSR1])
        defer { withExtendedLifetime(handlers) {} }
        let display = ProgressDisplay(context: context, isTerminal: ProgressDisplay.standardErrorIsTerminal(context))
        var resume = "\(GFMCMain.toolName) coordinator"
        if let studyPath { resume += " \(shellQuoted(studyPath))" }
        resume += " --bind \(shellQuoted(bind)) --out \(shellQuoted(directory.path))"
        if let secretKeyPath { resume += " --curve-secret-key \(shellQuoted(secretKeyPath))" }
        if let authorizedKeysPath { resume += " --authorized-keys \(shellQuoted(authorizedKeysPath))" }
        var session = RunDirectoryCoordinator(study: study, directory: directory, endpoint: bind, resumeCommand: resume,
                                              stop: stop, display: display)
        session.curve = curve
        session.keepRunning = keepRunning
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
                    allowed = try names.map { try CurveKeyPair.readKey(path: path + "/" + $0) }
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
