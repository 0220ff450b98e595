import GFMCModel
import GFMCTestSupport
import Testing

/// `ShortestDecimal` against `Double.description` (the oracle it must reproduce byte for byte) on special
/// values and on seeded random bit patterns covering every exponent, sign, subnormals and NaN payloads.
@Suite("ShortestDecimal")
struct ShortestDecimalTests {
    static func text(_ value: Double) -> String {
        var bytes: [UInt8] = []
        ShortestDecimal.append(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("special values print as description does")
    func specialValues() {
        let values: [Double] = [0, -0.0, 1, -1, 0.1, 1e-5, 1e16, 1e17, 123456789012345680, .pi, -.pi,
                                .infinity, -.infinity, .nan, -.nan, .signalingNaN,
                                Double(bitPattern: 0x7FF8_0000_0000_0001), Double(bitPattern: 0xFFF0_0000_0000_0001),
                                .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
                                -.leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                .ulpOfOne, 2.2250738585072014e-308, 5e-324, 9007199254740993]
        for value in values {
            #expect(Self.text(value) == value.description, "bit pattern \(String(value.bitPattern, radix: 16))")
        }
        #expect(Self.text(-.nan) == "nan")
        #expect(Self.text(1) == "1.0")
    }

    @Test("random bit patterns print as description does and parse back exactly")
    func randomBitPatterns() {
        var rng = SeededGenerator(seed: 20261202)
        var bytes: [UInt8] = []
        for _ in 0..<200_000 {
            let value = Double(bitPattern: rng.next())
            bytes.removeAll(keepingCapacity: true)
            bytes.append(contentsOf: [0x78])  // text is appended after what is already there
            ShortestDecimal.append(value, to: &bytes)
            let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
            #expect(bytes.first == 0x78)
            #expect(text == value.description, "bit pattern \(String(value.bitPattern, radix: 16))")
            if value.isFinite { #expect(Double(text)?.bitPattern == value.bitPattern) }
        }
    }

    @Test("values of typical magnitude print as description does")
    func typicalValues() {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<100_000 {
            let mantissa = Double(rng.next() >> 11) / Double(1 << 53)
            let exponent = Int(rng.next() % 41) - 20
            let value = (rng.next() % 2 == 0 ? 1 : -1) * mantissa * Double(sign: .plus, exponent: exponent, significand: 1)
            #expect(Self.text(value) == value.description)
        }
    }
}
