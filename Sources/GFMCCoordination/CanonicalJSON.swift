import GFMCModel

/// Writing and reading the canonical JSON text of `GFMCJSON` (sorted keys, no whitespace, finite doubles in
/// Swift's shortest round-trip form with a trailing ".0" dropped, non-finite doubles as the strings "nan",
/// "inf", "-inf") directly as bytes, for the messages sent once per task, where Foundation's Codable
/// machinery would cost more than everything else the coordinator does.
///
/// `CanonicalJSONWriter` writes exactly the bytes `GFMCJSON.encoder()` writes for the same values (tested
/// against it). `CanonicalJSONReader` reads only that form; anything else (other key order, whitespace,
/// escapes in strings) makes it return nil, and the caller falls back to Foundation's decoder, which accepts
/// any valid JSON and names what is wrong. It never traps, whatever the bytes.
struct CanonicalJSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Set when a string needs escaping (then the caller uses Foundation's encoder instead).
    private(set) var needsEscaping = false

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// `"name":` (names are ASCII identifiers).
    mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "/") {
                needsEscaping = true
            }
            bytes.append(byte)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func integer<T: BinaryInteger>(_ value: T) {
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func boolean(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    mutating func double(_ value: Double) {
        if value.isNaN { raw("\"nan\""); return }
        if value.isInfinite { if value > 0 { raw("\"inf\"") } else { raw("\"-inf\"") }; return }
        let start = bytes.count
        ShortestDecimal.append(value, to: &bytes)
        // Foundation writes integral values without the ".0" that `description` ends them with.
        if bytes.count - start > 2, bytes[bytes.count - 2] == UInt8(ascii: "."), bytes[bytes.count - 1] == UInt8(ascii: "0") {
            bytes.removeLast(2)
        }
    }
}

struct CanonicalJSONReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    /// Consumes `text` if the input continues with it.
    mutating func literal(_ text: StaticString) -> Bool {
        text.withUTF8Buffer { expected in
            guard bytes.count - position >= expected.count else { return false }
            for i in 0..<expected.count where bytes[position + i] != expected[i] { return false }
            position += expected.count
            return true
        }
    }

    /// Consumes `"name":`, preceded by a comma unless `first`.
    mutating func key(_ name: StaticString, first: Bool = false) -> Bool {
        if !first && !literal(",") { return false }
        return literal("\"") && literal(name) && literal("\":")
    }

    mutating func peek(_ byte: UInt8) -> Bool { position < bytes.count && bytes[position] == byte }

    /// A string without escapes.
    mutating func string() -> String? {
        guard literal("\"") else { return nil }
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            if byte == UInt8(ascii: "\"") {
                // Invalid UTF-8 is refused, as Foundation refuses it (never repaired).
                guard let text = String(validating: bytes[start..<position], as: UTF8.self) else { return nil }
                position += 1
                return text
            }
            position += 1
        }
        return nil
    }

    mutating func boolean() -> Bool? {
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    /// A JSON integer (no fraction or exponent, no leading zeros) that fits `T`.
    mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
        let negative = peek(UInt8(ascii: "-"))
        if negative {
            guard T.isSigned else { return nil }
            position += 1
        }
        let start = position
        var magnitude: UInt64 = 0
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[position] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
            position += 1
        }
        guard position > start, position - start == 1 || bytes[start] != UInt8(ascii: "0"),
              !peek(UInt8(ascii: ".")), !peek(UInt8(ascii: "e")), !peek(UInt8(ascii: "E")) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) else { return nil }
            return T(exactly: -Int64(magnitude))
        }
        return T(exactly: magnitude)
    }

    /// A JSON number, or one of the strings "nan", "inf", "-inf".
    mutating func double() -> Double? {
        if peek(UInt8(ascii: "\"")) {
            if literal("\"nan\"") { return .nan }
            if literal("\"inf\"") { return .infinity }
            if literal("\"-inf\"") { return -.infinity }
            return nil
        }
        let start = position
        while position < bytes.count, position - start < 40 {
            switch bytes[position] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                 UInt8(ascii: "e"), UInt8(ascii: "E"):
                position += 1
            default:
                return Self.parseNumber(bytes[start..<position])
            }
        }
        return nil
    }

    /// Strict JSON number grammar (no leading '+', no "inf"/"nan" words, no hex), parsed by the C library's
    /// correctly rounded conversion.
    private static func parseNumber(_ text: ArraySlice<UInt8>) -> Double? {
        var i = text.startIndex
        func digits() -> Int {
            let start = i
            while i < text.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[i]) { i += 1 }
            return i - start
        }
        if i < text.endIndex, text[i] == UInt8(ascii: "-") { i += 1 }
        let integerStart = i
        let integerDigits = digits()
        guard integerDigits > 0, integerDigits == 1 || text[integerStart] != UInt8(ascii: "0") else { return nil }
        if i < text.endIndex, text[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return nil }
        }
        if i < text.endIndex, text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E") {
            i += 1
            if i < text.endIndex, text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+") { i += 1 }
            guard digits() > 0 else { return nil }
        }
        guard i == text.endIndex, let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else {
            return nil  // out of range: Foundation refuses it, with its own message
        }
        return value
    }
}
