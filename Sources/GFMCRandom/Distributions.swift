import Foundation
import GFMCLinearAlgebra

/// Continuous distributions drawn from a `RandomStream`. Each method documents how many words it consumes;
/// the methods are deterministic functions of the stream's identity and position.
extension RandomStream {
    /// A uniform draw in the open interval (0, 1): `(k + 1/2) · 2⁻⁵³` with `k` the top 53 bits of
    /// `nextUInt64()` (consumes 2 words). Never returns 0 or 1; spacing 2⁻⁵³.
    @inlinable
    public mutating func nextUniform() -> Double {
        let k = nextUInt64() >> 11
        return (Double(k) + 0.5) * 0x1p-53
    }

    /// Two independent standard normal draws by the Box–Muller transform (exact in distribution):
    /// `u1 = nextUniform()`, `u2 = nextUniform()`, `r = sqrt(−2 ln u1)`, `θ = 2π u2`, result `(r cos θ, r sin θ)`.
    /// Consumes 4 words. |values| ≤ about 8.6 because u1 ≥ 2⁻⁵⁴.
    @inlinable
    public mutating func nextStandardNormalPair() -> (Double, Double) {
        let u1 = nextUniform()
        let u2 = nextUniform()
        let radius = (-2 * Foundation.log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        return (radius * Foundation.cos(angle), radius * Foundation.sin(angle))
    }

    /// One standard normal draw: the first value of `nextStandardNormalPair()` (consumes 4 words; the second
    /// value is discarded so that no hidden state is kept). Use `fillStandardNormal` for many draws.
    @inlinable
    public mutating func nextStandardNormal() -> Double {
        nextStandardNormalPair().0
    }

    /// `count` standard normal draws: pairs from `nextStandardNormalPair()` fill consecutive entries; for odd
    /// `count` the second value of the last pair is discarded. Consumes `4 · ⌈count/2⌉` words.
    public mutating func standardNormals(count: Int) -> [Double] {
        precondition(count >= 0, "negative normal count \(count)")
        var values = [Double](repeating: 0, count: count)
        var i = 0
        while i < count {
            let (z0, z1) = nextStandardNormalPair()
            values[i] = z0
            if i + 1 < count { values[i + 1] = z1 }
            i += 2
        }
        return values
    }

    /// A rows×cols matrix of independent N(0, 1) entries, filled in column-major storage order by
    /// `standardNormals(count: rows · cols)`.
    public mutating func fillStandardNormal(rows: Int, cols: Int) -> Matrix {
        precondition(rows >= 0 && cols >= 0, "negative matrix shape \(rows)×\(cols)")
        return Matrix(rows: rows, cols: cols, columnMajor: standardNormals(count: rows * cols))
    }

    /// A Gamma(shape, scale 1) draw (density x^{shape−1} e^{−x} / Γ(shape)), mean = variance = shape.
    ///
    /// Method: Marsaglia & Tsang (2000), "A simple method for generating gamma variables". For shape ≥ 1, with
    /// `d = shape − 1/3`, `c = 1/sqrt(9d)`: repeat { x = nextStandardNormal(); v = (1 + c x)³; if v > 0:
    /// u = nextUniform(); accept d·v if u < 1 − 0.0331 x⁴ or ln u < x²/2 + d(1 − v + ln v) }. The log test is
    /// evaluated as `x²/2 + d(3(log1p(y) − y) − 3y² − y³)` with `y = c x`, which is free of cancellation, so it
    /// stays accurate for huge shapes (e.g. χ² with 10¹² degrees of freedom). For shape < 1 (the boost):
    /// `Gamma(shape + 1) · U^{1/shape}` with U = nextUniform() drawn after the Gamma(shape + 1) draw.
    /// Word consumption is random (rejection sampling; acceptance probability > 0.95 per try).
    /// Traps unless shape is finite and > 0.
    public mutating func nextGamma(shape: Double) -> Double {
        precondition(shape > 0 && shape.isFinite, "gamma shape \(shape) must be finite and > 0")
        if shape < 1 {
            let boosted = nextGamma(shape: shape + 1)
            let u = nextUniform()
            return boosted * Foundation.exp(Foundation.log(u) / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            let x = nextStandardNormal()
            let y = c * x
            let onePlusY = 1 + y
            if onePlusY <= 0 { continue }
            let v = onePlusY * onePlusY * onePlusY
            let u = nextUniform()
            let x2 = x * x
            if u < 1 - 0.0331 * x2 * x2 { return d * v }
            let logAcceptance = 0.5 * x2 + d * (3 * Self.log1pMinusIdentity(y) - 3 * y * y - y * y * y)
            if Foundation.log(u) < logAcceptance { return d * v }
        }
    }

    /// A chi-square draw with `degreesOfFreedom` k (any real k > 0): `2 · nextGamma(shape: k/2)`.
    /// Mean k, variance 2k.
    public mutating func nextChiSquare(degreesOfFreedom k: Double) -> Double {
        precondition(k > 0 && k.isFinite, "chi-square degrees of freedom \(k) must be finite and > 0")
        return 2 * nextGamma(shape: k / 2)
    }

    /// `log(1 + y) − y`, accurate also for tiny |y| (series for |y| < 1/64, relative error < 1e−15).
    @usableFromInline
    static func log1pMinusIdentity(_ y: Double) -> Double {
        if Swift.abs(y) < 1.0 / 64 {
            // −y²/2 + y³/3 − y⁴/4 + … ; the terms to y¹⁰ leave a relative error below (1/64)⁹.
            var term = y * y
            var sum = 0.0
            var sign = -1.0
            for n in 2...10 {
                sum += sign * term / Double(n)
                term *= y
                sign = -sign
            }
            return sum
        }
        return Foundation.log1p(y) - y
    }
}
