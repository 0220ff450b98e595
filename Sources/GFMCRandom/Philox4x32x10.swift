/// The Philox4x32-10 counter-based block function (Salmon, Moraes, Dror, Shaw, "Parallel random numbers:
/// as easy as 1, 2, 3", SC 2011; reference implementation Random123).
///
/// A pure function from a 128-bit counter (four 32-bit words) and a 64-bit key (two 32-bit words) to
/// 128 output bits. It has no state: the same `(counter, key)` always gives the same output on every
/// platform, which is what makes per-trial streams reproducible regardless of which worker runs a trial.
///
/// Definition (10 rounds, key bumped between rounds, exactly as Random123's `philox4x32_R(10, …)`):
/// * round: `(hi0, lo0) = M0 · c0`, `(hi1, lo1) = M1 · c2` (full 64-bit products split into 32-bit halves),
///   `c ← (hi1 ⊕ c1 ⊕ k0, lo1, hi0 ⊕ c3 ⊕ k1, lo0)`, with `M0 = 0xD2511F53`, `M1 = 0xCD9E8D57`;
/// * key bump (before rounds 2…10): `k0 += 0x9E3779B9`, `k1 += 0xBB67AE85` (mod 2³²).
///
/// Verified against Random123's published known-answer vectors (`kat_vectors`) in the tests.
public enum Philox4x32x10 {
    public static let multiplier0: UInt32 = 0xD251_1F53
    public static let multiplier1: UInt32 = 0xCD9E_8D57
    public static let weyl0: UInt32 = 0x9E37_79B9
    public static let weyl1: UInt32 = 0xBB67_AE85
    public static let rounds = 10

    /// The block function: 4 output words for `counter` (words c0…c3) under `key` (words k0, k1).
    @inlinable
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter
        var k0 = key.x
        var k1 = key.y
        for round in 0..<rounds {
            if round > 0 {
                k0 &+= weyl0
                k1 &+= weyl1
            }
            let product0 = UInt64(multiplier0) &* UInt64(c.x)
            let product1 = UInt64(multiplier1) &* UInt64(c.z)
            let hi0 = UInt32(truncatingIfNeeded: product0 >> 32)
            let lo0 = UInt32(truncatingIfNeeded: product0)
            let hi1 = UInt32(truncatingIfNeeded: product1 >> 32)
            let lo1 = UInt32(truncatingIfNeeded: product1)
            c = SIMD4(hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0)
        }
        return c
    }
}
