import CZeroMQ

/// Z85 text encoding (ZeroMQ RFC 32) as implemented by libzmq (`zmq_z85_encode`/`zmq_z85_decode`):
/// every 4 bytes become 5 printable characters.
public enum Z85 {
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// Encoding needs a byte count that is a multiple of 4.
        case lengthNotMultipleOf4(Int)
        /// Decoding needs a text length that is a multiple of 5 and only Z85 characters.
        case invalidText(String)

        public var description: String {
            switch self {
            case .lengthNotMultipleOf4(let n): "Z85 encoding needs a multiple of 4 bytes, got \(n)"
            case .invalidText(let text): "not valid Z85 text (length must be a multiple of 5): \"\(text)\""
            }
        }
    }

    public static func encode(_ bytes: [UInt8]) throws -> String {
        guard bytes.count % 4 == 0 else { throw Failure.lengthNotMultipleOf4(bytes.count) }
        var output = [CChar](repeating: 0, count: bytes.count / 4 * 5 + 1)
        let ok = bytes.withUnsafeBufferPointer { zmq_z85_encode(&output, $0.baseAddress, $0.count) != nil }
        guard ok || bytes.isEmpty else { throw Failure.lengthNotMultipleOf4(bytes.count) }
        return String(decoding: output.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func decode(_ text: String) throws -> [UInt8] {
        let utf8 = Array(text.utf8)
        guard utf8.count % 5 == 0, utf8.allSatisfy(isZ85Character) else { throw Failure.invalidText(text) }
        if utf8.isEmpty { return [] }
        var output = [UInt8](repeating: 0, count: utf8.count / 5 * 4)
        let cString = utf8.map { CChar(bitPattern: $0) } + [0]
        guard zmq_z85_decode(&output, cString) != nil else { throw Failure.invalidText(text) }
        return output
    }

    private static let alphabet = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    private static func isZ85Character(_ byte: UInt8) -> Bool { alphabet.contains(byte) }
}
