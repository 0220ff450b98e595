import GFMCStudy
import Testing

@Suite("Numerics fingerprint")
struct NumericsFingerprintTests {
    @Test("deterministic, well-formed, and replaced only by the documented test variable")
    func fingerprint() throws {
        let first = try NumericsFingerprint.compute()
        let second = try NumericsFingerprint.compute()
        #expect(first == second)
        #expect(first.hasPrefix("nf1-") && first.count == 20)
        #expect(first.dropFirst(4).allSatisfy { $0.isHexDigit })
        #expect(try NumericsFingerprint.current(environment: [:]) == first)
        #expect(try NumericsFingerprint.current(environment: [NumericsFingerprint.testOverrideVariable: ""]) == first)
        #expect(try NumericsFingerprint.current(environment: [NumericsFingerprint.testOverrideVariable: "nf1-x"]) == "nf1-x")
    }
}
