import GFMCRandom
import Testing

@Suite struct RandomStreamTests {
    static func words(_ stream: RandomStream, count: Int) -> [UInt32] {
        var s = stream
        return (0..<count).map { _ in s.nextUInt32() }
    }

    @Test func derivationFollowsTheDocumentedContract() {
        // Seed and width above 2³² so both halves matter.
        let seed: UInt64 = 0x0123_4567_89ab_cdef
        let width: UInt64 = 1_000_000_000_000
        let index: UInt64 = 4_000_000_000
        let stream = RandomStream(seed: seed, width: width, index: index, purpose: .reducedState)
        let derived = Philox4x32x10.block(
            counter: SIMD4(UInt32(width & 0xffff_ffff), UInt32(width >> 32), 0, 0x6766_6d63),
            key: SIMD2(UInt32(seed & 0xffff_ffff), UInt32(seed >> 32)))
        let key = SIMD2(derived.x, derived.y)
        #expect(stream.key == key)
        var expected: [UInt32] = []
        for b in 0..<3 {
            let out = Philox4x32x10.block(counter: SIMD4(UInt32(b), 0, UInt32(index), 4), key: key)
            for w in 0..<4 { expected.append(out[w]) }
        }
        #expect(Self.words(stream, count: 12) == expected)
    }

    @Test func matchesAnIndependentPythonImplementation() {
        // Expected values from a separate Python implementation of Philox4x32-10 (checked against the same
        // Random123 KAT vectors) and of the documented derivation, uniform map and Box–Muller transform:
        // seed 0x0123456789abcdef, width 10^12, index 7, purpose 2 (initialU).
        let stream = RandomStream(seed: 0x0123_4567_89ab_cdef, width: 1_000_000_000_000, index: 7, purpose: .initialU)
        #expect(Self.words(stream, count: 6) == [0x30d1_65fa, 0xbf83_0db4, 0xde6d_34c2, 0x65fc_b906, 0xb3d0_8d1b, 0x0c13_2a35])
        var s = stream
        #expect(s.nextUniform() == 0.748093468181485)
        #expect(s.nextUniform() == 0.3983874933023131)
        #expect(s.nextUniform() == 0.04716743289083264)
        let (z0, z1) = s.nextStandardNormalPair()
        #expect(abs(z0 - -0.03942954189958627) < 1e-14)
        #expect(abs(z1 - -1.5165218966279594) < 1e-14)
        #expect(s.wordsConsumed == 10)
    }

    @Test func sameIdentityGivesSameWordsRegardlessOfOtherStreams() {
        let first = Self.words(RandomStream(seed: 42, width: 100, index: 3, purpose: .data), count: 37)
        // Draw a lot from other streams, including ones differing in a single identifier.
        var others = [
            RandomStream(seed: 42, width: 100, index: 4, purpose: .data),
            RandomStream(seed: 42, width: 101, index: 3, purpose: .data),
            RandomStream(seed: 43, width: 100, index: 3, purpose: .data),
            RandomStream(seed: 42, width: 100, index: 3, purpose: .initialV),
        ]
        var sink: UInt32 = 0
        for k in others.indices { for _ in 0..<1000 { sink ^= others[k].nextUInt32() } }
        let again = Self.words(RandomStream(seed: 42, width: 100, index: 3, purpose: .data), count: 37)
        #expect(first == again)
        _ = sink
    }

    @Test func everyIdentifierSelectsADifferentStream() {
        let base = RandomStream(seed: 42, width: 100, index: 3, purpose: .data)
        let variants = [
            RandomStream(seed: 43, width: 100, index: 3, purpose: .data),
            RandomStream(seed: 42 + (1 << 32), width: 100, index: 3, purpose: .data),
            RandomStream(seed: 42, width: 101, index: 3, purpose: .data),
            RandomStream(seed: 42, width: 100 + (1 << 32), index: 3, purpose: .data),
            RandomStream(seed: 42, width: 100, index: 4, purpose: .data),
            RandomStream(seed: 42, width: 100, index: 3, purpose: .initialU),
            RandomStream(seed: 42, width: 100, index: 3, purpose: .initialV),
            RandomStream(seed: 42, width: 100, index: 3, purpose: .reducedState),
            RandomStream(seed: 42, width: 100, index: 3, purpose: .nullSpace),
            RandomStream(seed: 42, width: 100, index: 3, purpose: .custom(256)),
        ]
        var all = [Self.words(base, count: 8)]
        for v in variants { all.append(Self.words(v, count: 8)) }
        #expect(Set(all).count == all.count)
        let purposes: [RandomPurpose] = [.data, .initialU, .initialV, .reducedState, .nullSpace, .custom(999)]
        #expect(Set(purposes.map(\.rawValue)).count == purposes.count)
    }

    @Test func uint64IsLowWordThenHighWord() {
        let stream = RandomStream(seed: 9, width: 10, index: 11, purpose: .nullSpace)
        let w = Self.words(stream, count: 4)
        var s = stream
        #expect(s.nextUInt64() == UInt64(w[0]) | UInt64(w[1]) << 32)
        #expect(s.nextUInt64() == UInt64(w[2]) | UInt64(w[3]) << 32)
        #expect(s.wordsConsumed == 4)
    }

    @Test func intConvenienceInitializerMatches() {
        let a = RandomStream(seed: 5, width: 300, index: 12, purpose: .data)
        let b = RandomStream(seed: 5, width: UInt64(300), index: UInt64(12), purpose: .data)
        #expect(a == b)
        #expect(Self.words(a, count: 9) == Self.words(b, count: 9))
    }

    @Test func neighbouringStreamsAreUncorrelated() {
        var a = RandomStream(seed: 1, width: 1000, index: 0, purpose: .data)
        var b = RandomStream(seed: 1, width: 1000, index: 1, purpose: .data)
        let n = 100_000
        var sab = 0.0
        for _ in 0..<n { sab += (a.nextUniform() - 0.5) * (b.nextUniform() - 0.5) }
        let correlation = sab / Double(n) * 12
        #expect(abs(correlation) < 5 / Double(n).squareRoot(), "correlation \(correlation)")
    }

    @Test func wordsAreUniformOverBits() {
        // Each of the 32 bit positions is set about half the time.
        var s = RandomStream(seed: 77, width: 2, index: 0, purpose: .custom(1000))
        let n = 40_000
        var counts = [Int](repeating: 0, count: 32)
        for _ in 0..<n {
            let w = s.nextUInt32()
            for bit in 0..<32 where w & (1 << UInt32(bit)) != 0 { counts[bit] += 1 }
        }
        let tolerance = 5 * (Double(n) / 4).squareRoot()
        for c in counts { #expect(abs(Double(c) - Double(n) / 2) < tolerance) }
    }
}
