import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Problems with CURVE keys and key files. Each names the file or the reason.
public enum CurveKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// This libzmq was built without CURVE (`zmq_has("curve")` is false).
    case curveUnavailable
    /// A key is not 40 characters of Z85 encoding 32 bytes.
    case malformedKey(source: String)
    case cannotRead(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    /// Refused to replace an existing key file (pass `overwrite: true`).
    case fileExists(path: String)
    /// A file labelled (or named `*.pub`) as a public key was given where a secret key belongs.
    case publicKeyGivenAsSecret(path: String)
    /// A file labelled (or named `*.key`) as a secret key was given where a public key belongs.
    case secretKeyGivenAsPublic(path: String)
    /// A secret key file others may read (see ``CurveKeyPair/secretKeyModeProblem(mode:ownedByCaller:)``).
    case secretKeyExposed(path: String, mode: UInt32)

    public var description: String {
        switch self {
        case .curveUnavailable: "this libzmq has no CURVE support"
        case .malformedKey(let source): "\(source): not a CURVE key (expected 40 Z85 characters)"
        case .cannotRead(let path, let reason): "cannot read key file \(path): \(reason)"
        case .cannotWrite(let path, let reason): "cannot write key file \(path): \(reason)"
        case .fileExists(let path): "key file \(path) already exists (refusing to overwrite)"
        case .publicKeyGivenAsSecret(let path):
            "\(path) holds a public key, not a secret key: pass the NAME.key that `gfmc keygen --out NAME` wrote next to it"
        case .secretKeyGivenAsPublic(let path):
            "\(path) holds a secret key where a public key belongs: pass NAME.pub (from `gfmc keygen --out NAME`), "
                + "and keep NAME.key on its own machine only"
        case .secretKeyExposed(let path, let mode):
            "secret key file \(path) is readable by others (mode \(String(mode & 0o777, radix: 8))): "
                + "run `chmod 600 \(path)`"
        }
    }
}

/// What a key file says it holds (its `# gfmc CURVE … key` comment, else its name's suffix).
public enum CurveKeyFileKind: Sendable, Equatable {
    case publicKey, secretKey, unknown

    /// Pure: from the file's comment lines and its path. A comment mentioning "secret key" or "public
    /// key" decides; without one, the suffix `.key` means secret and `.pub` public.
    public init(comments: [String], path: String) {
        let text = comments.joined(separator: "\n").lowercased()
        if text.contains("secret key") || text.contains("private key") {
            self = .secretKey
        } else if text.contains("public key") {
            self = .publicKey
        } else if path.hasSuffix(".key") {
            self = .secretKey
        } else if path.hasSuffix(".pub") {
            self = .publicKey
        } else {
            self = .unknown
        }
    }
}

/// A CURVE (Curve25519) key pair in Z85 text, 40 characters per key.
///
/// Key files hold one key as Z85 text plus a newline, after a `#` comment naming what it is; `#`
/// lines and blank lines are ignored when reading the key. One naming convention everywhere:
/// `gfmc keygen --out NAME` writes NAME.key (secret, mode 0600) and NAME.pub (public, 0644).
public struct CurveKeyPair: Equatable, Sendable {
    public let publicKey: String
    public let secretKey: String

    /// Builds a pair from a secret key, deriving its public key (`zmq_curve_public`).
    public init(secretKey: String) throws {
        self.publicKey = try CurveKeyPair.derivePublicKey(fromSecretKey: secretKey)
        self.secretKey = secretKey
    }

    /// A fresh random key pair (`zmq_curve_keypair`, which uses libsodium's CSPRNG).
    public static func generate() throws -> CurveKeyPair {
        guard ZMQContext.has("curve") else { throw CurveKeyError.curveUnavailable }
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else { throw CurveKeyError.curveUnavailable }
        let secret = string(secretText)
        return CurveKeyPair(publicKey: string(publicText), secret: secret)
    }

    private init(publicKey: String, secret: String) {
        self.publicKey = publicKey
        self.secretKey = secret
    }

    /// The public key belonging to a Z85 secret key (`zmq_curve_public`).
    public static func derivePublicKey(fromSecretKey secretKey: String) throws -> String {
        try validate(secretKey, source: "secret key")
        guard ZMQContext.has("curve") else { throw CurveKeyError.curveUnavailable }
        var publicText = [CChar](repeating: 0, count: 41)
        let secretC = Array(secretKey.utf8CString)
        guard zmq_curve_public(&publicText, secretC) == 0 else {
            throw CurveKeyError.malformedKey(source: "secret key")
        }
        return string(publicText)
    }

    /// Checks that `key` is 40 Z85 characters decoding to 32 bytes.
    public static func validate(_ key: String, source: String) throws {
        guard key.utf8.count == 40, let bytes = try? Z85.decode(key), bytes.count == 32 else {
            throw CurveKeyError.malformedKey(source: source)
        }
    }

    private static func string(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Key files

    /// Writes the public key (mode 0644) and the secret key (mode 0600) to two files.
    /// - Throws: `CurveKeyError.fileExists` unless `overwrite`; `.cannotWrite` naming the path.
    public func write(publicKeyPath: String, secretKeyPath: String, overwrite: Bool = false) throws {
        try CurveKeyPair.writeKeyFile(secretKey, to: secretKeyPath, mode: 0o600, overwrite: overwrite,
                                      comment: "gfmc CURVE secret key: keep private, never commit")
        try CurveKeyPair.writeKeyFile(publicKey, to: publicKeyPath, mode: 0o644, overwrite: overwrite,
                                      comment: "gfmc CURVE public key")
    }

    /// Reads a key pair from its secret key file (the public key is derived).
    /// - Throws: `.publicKeyGivenAsSecret` for a public key file; `.secretKeyExposed` when others may
    ///   read the file (``secretKeyModeProblem(mode:ownedByCaller:)``); `.malformedKey`, `.cannotRead`.
    public static func read(secretKeyPath: String) throws -> CurveKeyPair {
        let file = try readKeyFile(path: secretKeyPath)
        if file.kind == .publicKey { throw CurveKeyError.publicKeyGivenAsSecret(path: secretKeyPath) }
        if secretKeyModeProblem(mode: file.mode, ownedByCaller: file.ownedByCaller) {
            throw CurveKeyError.secretKeyExposed(path: secretKeyPath, mode: file.mode)
        }
        return try CurveKeyPair(secretKey: file.key)
    }

    /// Reads a public key file (e.g. the coordinator's NAME.pub on a worker, or an allowlist entry).
    /// - Throws: `.secretKeyGivenAsPublic` for a file that holds a secret key; `.malformedKey`, `.cannotRead`.
    public static func readPublicKey(path: String) throws -> String {
        let file = try readKeyFile(path: path)
        if file.kind == .secretKey { throw CurveKeyError.secretKeyGivenAsPublic(path: path) }
        return file.key
    }

    /// Whether a secret key file with permission bits `mode` is too open. Pure.
    ///
    /// Others (`o`) must have no access at all. The group may read the file only when it belongs to
    /// another user (typically root) who grants this process access through its group, as
    /// orchestrators do (a Kubernetes Secret with `fsGroup` is mounted root-owned, mode 0440); a file
    /// the caller owns must be 0600 or stricter, as `gfmc keygen` writes it.
    public static func secretKeyModeProblem(mode: UInt32, ownedByCaller: Bool) -> Bool {
        if mode & 0o007 != 0 { return true }
        return ownedByCaller && mode & 0o070 != 0
    }

    /// Reads one Z85 key from a key file (public or secret), validating it; no kind or mode checks.
    public static func readKey(path: String) throws -> String {
        try readKeyFile(path: path).key
    }

    private struct KeyFile {
        var key: String
        var kind: CurveKeyFileKind
        var mode: UInt32
        var ownedByCaller: Bool
    }

    private static func readKeyFile(path: String) throws -> KeyFile {
        let (bytes, info) = try readFile(path)
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        let comments = lines.filter { $0.hasPrefix("#") }
        let keys = lines.filter { !$0.hasPrefix("#") }
        guard keys.count == 1 else { throw CurveKeyError.malformedKey(source: path) }
        try validate(keys[0], source: path)
        return KeyFile(key: keys[0], kind: CurveKeyFileKind(comments: comments, path: path),
                       mode: UInt32(info.st_mode) & 0o7777, ownedByCaller: info.st_uid == geteuid())
    }

    /// Reads a list of public keys, one per line (`#` comments and blank lines ignored), e.g. a
    /// worker allowlist. A file labelled as a secret key (or named `*.key`) is refused.
    public static func readPublicKeyList(path: String) throws -> [String] {
        let text = String(decoding: try readFile(path).bytes, as: UTF8.self)
        var keys: [String] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let comments = lines.map { $0.trimmingWhitespace() }.filter { $0.hasPrefix("#") }
        if CurveKeyFileKind(comments: comments, path: path) == .secretKey {
            throw CurveKeyError.secretKeyGivenAsPublic(path: path)
        }
        for (number, line) in lines.enumerated() {
            let key = line.trimmingWhitespace()
            if key.isEmpty || key.hasPrefix("#") { continue }
            try validate(key, source: "\(path) line \(number + 1)")
            keys.append(key)
        }
        return keys
    }

    /// The file's bytes (at most 1 MiB) and its `fstat` (of the file actually read).
    private static func readFile(_ path: String) throws -> (bytes: [UInt8], info: stat) {
        guard let file = fopen(path, "rb") else {
            throw CurveKeyError.cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var info = stat()
        guard fstat(fileno(file), &info) == 0 else {
            throw CurveKeyError.cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CurveKeyError.cannotRead(path: path, reason: "not a regular file")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { break }
            if bytes.count > 1 << 20 { throw CurveKeyError.cannotRead(path: path, reason: "larger than 1 MiB") }
        }
        if ferror(file) != 0 { throw CurveKeyError.cannotRead(path: path, reason: "read error") }
        return (bytes, info)
    }

    private static func writeKeyFile(_ key: String, to path: String, mode: mode_t, overwrite: Bool,
                                     comment: String) throws {
        let flags = O_WRONLY | O_CREAT | O_TRUNC | (overwrite ? 0 : O_EXCL)
        let fd = open(path, flags, mode)
        if fd < 0 {
            if errno == EEXIST { throw CurveKeyError.fileExists(path: path) }
            throw CurveKeyError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        defer { _ = closeFile(fd) }
        // An existing file keeps its old mode through O_TRUNC; force the intended one first.
        guard fchmod(fd, mode) == 0 else {
            throw CurveKeyError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        let bytes = Array("# \(comment)\n\(key)\n".utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { writeFile(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CurveKeyError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            throw CurveKeyError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
    }
}

#if canImport(Glibc)
private let closeFile = Glibc.close
private let writeFile = Glibc.write
#elseif canImport(Darwin)
private let closeFile = Darwin.close
private let writeFile = Darwin.write
#endif

extension Substring {
    func trimmingWhitespace() -> String {
        String(self.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
