/// A deterministic stream of random 32-bit words identified by `(seed, width, index, purpose)`.
///
/// ## Reproducibility contract (never change silently: stored studies depend on it)
/// With `lo(x)`/`hi(x)` the low/high 32 bits of a 64-bit value and `P(counter, key)` = `Philox4x32x10.block`:
/// * stream key: `key = (w0, w1)` where `(w0, w1, _, _) = P((lo(width), hi(width), 0, 0x6766_6d63 /* "gfmc" */),
///   (lo(seed), hi(seed)))`;
/// * block `b` (b = 0, 1, 2, …, a 64-bit block counter): `P((lo(b), hi(b), UInt32(index), purpose.rawValue), key)`;
/// * words are consumed in order: block 0 words 0…3, then block 1 words 0…3, and so on.
///
/// Every draw is a function of the four identifiers and of how many words were consumed before it, and of
/// nothing else (no hidden caches: a normal draw never keeps a spare value for later). Different identifiers
/// select different Philox counters (or keys), so streams are statistically independent, and drawing from one
/// stream never changes another. Word consumption of each draw is documented on the draw.
///
/// Floating-point draws use `log`, `sqrt`, `cos`, `sin` of the platform's libm; they are bit-for-bit
/// reproducible on the same platform and libm, and equal to within rounding elsewhere.
public struct RandomStream: Sendable, Equatable {
    /// Exclusive upper bound of `index` (the index occupies one 32-bit counter word).
    public static let indexLimit: UInt64 = 1 << 32
    /// The domain-separation word of the key derivation ("gfmc" in ASCII).
    public static let keyDerivationTag: UInt32 = 0x6766_6d63

    public let seed: UInt64
    public let width: UInt64
    public let index: UInt64
    public let purpose: RandomPurpose
    /// The derived Philox key (see the type's contract).
    public let key: SIMD2<UInt32>

    private var nextBlock: UInt64 = 0
    private var buffer: SIMD4<UInt32> = .zero
    private var bufferPosition: Int = 4

    /// Creates the stream at word 0. Traps if `index ≥ 2³²` or a `custom` purpose is below
    /// `RandomPurpose.firstCustomValue` (validate such values where they enter the program).
    public init(seed: UInt64, width: UInt64, index: UInt64, purpose: RandomPurpose) {
        precondition(index < Self.indexLimit, "random stream index \(index) must be < 2^32")
        if case .custom(let value) = purpose {
            precondition(value >= RandomPurpose.firstCustomValue,
                         "custom random purpose \(value) must be >= \(RandomPurpose.firstCustomValue)")
        }
        self.seed = seed
        self.width = width
        self.index = index
        self.purpose = purpose
        let derived = Philox4x32x10.block(
            counter: SIMD4(UInt32(truncatingIfNeeded: width), UInt32(truncatingIfNeeded: width >> 32),
                           0, Self.keyDerivationTag),
            key: SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
        self.key = SIMD2(derived.x, derived.y)
    }

    /// Convenience for `Int` identifiers (trial widths and indices are `Int` elsewhere). Traps on negative values.
    public init(seed: UInt64, width: Int, index: Int, purpose: RandomPurpose) {
        precondition(width >= 0 && index >= 0, "random stream width \(width) and index \(index) must be >= 0")
        self.init(seed: seed, width: UInt64(width), index: UInt64(index), purpose: purpose)
    }

    /// The 4 words of block `block` of this stream (pure; does not advance the stream).
    public func block(_ block: UInt64) -> SIMD4<UInt32> {
        Philox4x32x10.block(
            counter: SIMD4(UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32),
                           UInt32(truncatingIfNeeded: index), purpose.rawValue),
            key: key)
    }

    /// How many 32-bit words have been consumed so far.
    public var wordsConsumed: UInt64 { nextBlock * 4 - UInt64(4 - bufferPosition) }

    /// The next word (consumes 1 word).
    @inlinable
    public mutating func nextUInt32() -> UInt32 { nextWord() }

    /// The next 64 bits (consumes 2 words: the first is the low half, the second the high half).
    @inlinable
    public mutating func nextUInt64() -> UInt64 {
        let low = UInt64(nextWord())
        let high = UInt64(nextWord())
        return (high << 32) | low
    }

    @usableFromInline
    mutating func nextWord() -> UInt32 {
        if bufferPosition == 4 {
            buffer = block(nextBlock)
            nextBlock += 1
            bufferPosition = 0
        }
        let word = buffer[bufferPosition]
        bufferPosition += 1
        return word
    }
}
