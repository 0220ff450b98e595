import Foundation
import GFMCModel

/// Why a multipart message could not be decoded (or encoded). Decoding never traps: every malformed
/// input maps to one of these.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not exactly 3 frames (header, type, body).
    case wrongFrameCount(Int)
    /// Frame 0 is not "GFMC" followed by a 2-byte version (carries the first bytes seen, at most 16).
    case unknownTag([UInt8])
    /// The tag is right but the version is not one this build speaks.
    case unsupportedVersion(UInt16)
    /// Frame 1 is not a known message type (carries it, lossily decoded and truncated to 64 bytes).
    case unknownType(String)
    /// Frame 2 is not a valid body for the type (JSON error, or a non-empty body on a body-less type).
    case malformedBody(type: String, detail: String)
    /// Frame 2 is longer than the configured limit or the type's limit (`WireLimits.maxBodyBytes(for:)`);
    /// also a message the socket refused for its size or frame count (`bytes` is then unknown: -1).
    case oversizedBody(bytes: Int, limit: Int)
    /// A decoded field is longer (a string in UTF-8 bytes, a list in elements) or larger than its
    /// `WireLimits` bound.
    case fieldTooLong(type: String, field: String, length: Int, limit: Int)
    /// Encoding failed (only if a message's body would exceed the limit or JSON encoding failed).
    case encodingFailed(String)

    public var description: String {
        switch self {
        case .wrongFrameCount(let n): return "wrong frame count \(n) (expected 3)"
        case .unknownTag(let bytes): return "unknown protocol tag \(bytes)"
        case .unsupportedVersion(let v): return "unsupported protocol version \(v) (supported: \(WireCodec.supportedVersions))"
        case .unknownType(let t): return "unknown message type \"\(t)\""
        case .malformedBody(let t, let d): return "malformed body for \"\(t)\": \(d)"
        case .oversizedBody(let b, let l):
            return b < 0 ? "message exceeds the limit of \(l) bytes or frames" : "body of \(b) bytes exceeds the limit of \(l) bytes"
        case .fieldTooLong(let t, let f, let n, let l): return "\"\(t)\" field \(f) is \(n) long, over its limit of \(l)"
        case .encodingFailed(let d): return "encoding failed: \(d)"
        }
    }
}

/// The wire format of docs/protocol.md over ZeroMQ multipart messages, as pure functions on frames:
///
/// * frame 0: the ASCII tag `GFMC` followed by the protocol version as a big-endian UInt16 (6 bytes);
/// * frame 1: the message type name in ASCII (`Message.Kind.rawValue`, e.g. `ready`, `task_failed`);
/// * frame 2: the body: UTF-8 JSON (sorted keys) for types with a body, empty for `heartbeat`, `shutdown`,
///   `reannounce`. Non-finite doubles are written as the strings `"nan"`, `"inf"`, `"-inf"`; finite
///   doubles round-trip bit-exactly. `task` and `result`, sent once per task, are written and (in that
///   canonical form) read by `TaskMessageJSON` without Foundation's Codable; other forms go through it.
///
/// The ROUTER identity frame is not included; the runtime prepends/strips it.
public struct WireCodec: Sendable {
    /// Frame 0 prefix.
    public static let tag: [UInt8] = Array("GFMC".utf8)
    /// The version this build sends.
    public static let currentVersion: UInt16 = 1
    /// Versions this build accepts.
    public static let supportedVersions: ClosedRange<UInt16> = 1...1
    /// Default limit on frame 2: 16 MiB (a study JSON with inline data, or a task of many results).
    public static let defaultMaxBodyBytes = 16 << 20

    /// Largest accepted (and produced) body in bytes.
    public var maxBodyBytes: Int

    public init(maxBodyBytes: Int = WireCodec.defaultMaxBodyBytes) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// Frame 0 for a version.
    public static func header(version: UInt16 = currentVersion) -> [UInt8] {
        tag + [UInt8(version >> 8), UInt8(version & 0xff)]
    }

    // MARK: Encoding

    public func encode(_ message: Message) throws(WireError) -> [[UInt8]] {
        let body: [UInt8]
        do {
            switch message {
            case .ready(let v): body = try Self.json(v)
            case .result(let v): body = try TaskMessageJSON.encode(v) ?? Self.json(v)
            case .taskFailed(let v): body = try Self.json(v)
            case .goodbye(let v): body = try Self.json(v)
            case .welcome(let v): body = try Self.json(v)
            case .refused(let v): body = try Self.json(v)
            case .task(let v): body = try TaskMessageJSON.encode(v) ?? Self.json(v)
            case .cancel(let v): body = try Self.json(v)
            case .shutdown, .reannounce, .heartbeat: body = []
            }
        } catch {
            throw .encodingFailed("\(message.typeName): \(error)")
        }
        if body.count > maxBodyBytes {
            throw .encodingFailed("\(message.typeName) body of \(body.count) bytes exceeds the limit of \(maxBodyBytes) bytes")
        }
        return [Self.header(), Array(message.typeName.utf8), body]
    }

    private static func json<T: Encodable>(_ value: T) throws -> [UInt8] {
        Array(try GFMCJSON.encoder().encode(value))
    }

    // MARK: Decoding

    public func decode(_ frames: [[UInt8]]) throws(WireError) -> Message {
        guard frames.count == 3 else { throw .wrongFrameCount(frames.count) }
        let header = frames[0]
        guard header.count == Self.tag.count + 2, Array(header.prefix(Self.tag.count)) == Self.tag else {
            throw .unknownTag(Array(header.prefix(16)))
        }
        let version = UInt16(header[4]) << 8 | UInt16(header[5])
        guard Self.supportedVersions.contains(version) else { throw .unsupportedVersion(version) }

        let typeBytes = frames[1]
        let typeName = String(decoding: typeBytes.prefix(64), as: UTF8.self)
        guard typeBytes.count <= 64, let kind = Message.Kind(rawValue: typeName) else {
            throw .unknownType(typeName)
        }

        let body = frames[2]
        let limit = min(maxBodyBytes, WireLimits.maxBodyBytes(for: kind) ?? maxBodyBytes)
        guard body.count <= limit else { throw .oversizedBody(bytes: body.count, limit: limit) }
        guard kind.hasBody else {
            guard body.isEmpty else {
                throw .malformedBody(type: typeName, detail: "expected an empty body, got \(body.count) bytes")
            }
            switch kind {
            case .shutdown: return .shutdown
            case .reannounce: return .reannounce
            default: return .heartbeat
            }
        }
        let message = try decodeBody(kind, typeName, body)
        try WireLimits.check(message)
        return message
    }

    private func decodeBody(_ kind: Message.Kind, _ typeName: String, _ body: [UInt8]) throws(WireError) -> Message {
        do {
            switch kind {
            case .ready: return .ready(try Self.value(body))
            case .result: return .result(try TaskMessageJSON.decodeResult(body) ?? Self.value(body))
            case .taskFailed: return .taskFailed(try Self.value(body))
            case .goodbye: return .goodbye(try Self.value(body))
            case .welcome: return .welcome(try Self.value(body))
            case .refused: return .refused(try Self.value(body))
            case .task: return .task(try TaskMessageJSON.decodeTask(body) ?? Self.value(body))
            case .cancel: return .cancel(try Self.value(body))
            case .shutdown, .reannounce, .heartbeat: return .heartbeat  // handled above
            }
        } catch {
            throw .malformedBody(type: typeName, detail: Self.describe(error))
        }
    }

    private static func value<T: Decodable>(_ body: [UInt8]) throws -> T {
        try GFMCJSON.decoder().decode(T.self, from: Data(body))
    }

    /// A short, field-naming description of a JSON decoding error.
    private static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error).prefix(200).description }
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "(root)" : p
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key \"\(key.stringValue)\" at \(path(context))"
        case .typeMismatch(let type, let context): return "wrong type at \(path(context)) (expected \(type))"
        case .valueNotFound(let type, let context): return "null at \(path(context)) (expected \(type))"
        case .dataCorrupted(let context): return "invalid JSON at \(path(context)): \(context.debugDescription.prefix(120))"
        @unknown default: return "invalid body"
        }
    }
}
