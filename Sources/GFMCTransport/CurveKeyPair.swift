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

    public var description: String {
        switch self {
        case .curveUnavailable: "this libzmq has no CURVE support"
        case .malformedKey(let source): "\(source): not a CURVE key (expected 40 Z85 characters)"
        case .cannotRead(let path, let reason): "cannot read key file \(path): \(reason)"
        case .cannotWrite(let path, let reason): "cannot write key file \(path): \(reason)"
        case .fileExists(let path): "key file \(path) already exists (refusing to overwrite)"
        }
    }
}

/// A CURVE (Curve25519) key pair in Z85 text, 40 characters per key.
///
/// Key files hold one key as Z85 text plus a newline; lines starting with `#` and blank lines are
/// ignored when reading. Secret key files are created with mode 0600.
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
    public static func read(secretKeyPath: String) throws -> CurveKeyPair {
        let secret = try readKey(path: secretKeyPath)
        return try CurveKeyPair(secretKey: secret)
    }

    /// Reads one Z85 key from a key file (public or secret), validating it.
    public static func readKey(path: String) throws -> String {
        let bytes = try readFile(path)
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard lines.count == 1 else { throw CurveKeyError.malformedKey(source: path) }
        try validate(lines[0], source: path)
        return lines[0]
    }

    /// Reads a list of public keys, one per line (`#` comments and blank lines ignored), e.g. a
    /// worker allowlist.
    public static func readPublicKeyList(path: String) throws -> [String] {
        let text = String(decoding: try readFile(path), as: UTF8.self)
        var keys: [String] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let key = line.trimmingWhitespace()
            if key.isEmpty || key.hasPrefix("#") { continue }
            try validate(key, source: "\(path) line \(number + 1)")
            keys.append(key)
        }
        return keys
    }

    private static func readFile(_ path: String) throws -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw CurveKeyError.cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { break }
            if bytes.count > 1 << 20 { throw CurveKeyError.cannotRead(path: path, reason: "larger than 1 MiB") }
        }
        if ferror(file) != 0 { throw CurveKeyError.cannotRead(path: path, reason: "read error") }
        return bytes
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
