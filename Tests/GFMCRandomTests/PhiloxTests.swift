import GFMCRandom
import Testing

/// Random123's published known-answer vectors (file `tests/kat_vectors`, lines "philox4x32 10 …";
/// columns: counter[4] key[2] → output[4]). Confirmed against several independent copies of that file.
@Suite struct PhiloxTests {
    @Test func zeroCounterZeroKey() {
        let out = Philox4x32x10.block(counter: SIMD4(0, 0, 0, 0), key: SIMD2(0, 0))
        #expect(out == SIMD4(0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8))
    }

    @Test func allOnes() {
        let out = Philox4x32x10.block(counter: SIMD4(repeating: .max), key: SIMD2(repeating: .max))
        #expect(out == SIMD4(0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd))
    }

    @Test func piDigits() {
        let out = Philox4x32x10.block(counter: SIMD4(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344),
                                      key: SIMD2(0xa409_3822, 0x299f_31d0))
        #expect(out == SIMD4(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1))
    }

    @Test func singleBitChangesAboutHalfTheOutputBits() {
        // Avalanche sanity check: flipping one counter bit changes roughly half of the 128 output bits.
        var total = 0
        let trials = 64
        for bit in 0..<trials {
            let base = SIMD4<UInt32>(UInt32(bit), 17, 4_000_000, 3)
            var flipped = base
            flipped[bit % 4] ^= 1 << UInt32(bit % 32)
            let a = Philox4x32x10.block(counter: base, key: SIMD2(1, 2))
            let b = Philox4x32x10.block(counter: flipped, key: SIMD2(1, 2))
            for w in 0..<4 { total += (a[w] ^ b[w]).nonzeroBitCount }
        }
        let mean = Double(total) / Double(trials)
        #expect(abs(mean - 64) < 4, "mean changed bits \(mean)")
    }
}
