import Foundation
import GFMCApplication
import GFMCTransport

/// `gfmc keygen --out PREFIX`: a CURVE key pair as PREFIX.key (secret, mode 0600) and PREFIX.pub.
struct KeygenCommand: GFMCCommand {
    struct Options: CommandOptions {
        let out = Option.required("out", short: "o", valueName: "PREFIX", help: "Path prefix of the two files.")
        let force = Option.flag("force", help: "Overwrite existing files.")
    }
    static let options = Options()

    static let configuration = CommandConfiguration(
        name: "keygen",
        abstract: "Generate a CURVE key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub.",
        usage: ["keygen --out PREFIX [--force]"],
        discussion: """
        The coordinator's pair: PREFIX.key stays on the coordinator (--curve-secret-key), PREFIX.pub goes to \
        every worker (--curve-server-key). A worker's pair: its .key stays with it (--curve-secret-key), its \
        .pub goes into the coordinator's --authorized-keys directory. See deploy/README.md. Never commit a \
        secret key.

        Exit status: 0 written; 1 a file exists (without --force) or cannot be written; 64 bad command line.
        """,
        options: options.specs,
        examples: ["keygen --out coordinator", "keygen --out keys/worker-node17"])

    let prefix: String
    let force: Bool

    init(arguments: ParsedArguments) throws {
        prefix = try arguments[Self.options.out]
        force = try arguments[Self.options.force]
    }

    func run(context: CommandContext) throws -> Int32 {
        let base = context.resolvePath(prefix)
        do {
            let pair = try CurveKeyPair.generate()
            try pair.write(publicKeyPath: base + ".pub", secretKeyPath: base + ".key", overwrite: force)
            context.print("secret key: \(base).key (mode 0600, keep private)")
            context.print("public key: \(base).pub \(pair.publicKey)")
        } catch {
            throw CommandLineError.failure("\(error)")
        }
        return ExitCode.success
    }
}
