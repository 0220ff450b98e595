import Foundation

/// Lemma 11 and Theorem 12 of the paper (theory.md §4), evaluated as stated, plus the corrected tail.
///
/// Notation: m output dimension, r = rank(X), n input dimension, h width, α ∈ (1/4, 1/2] the initialization
/// exponent (entries N(0, h^{−2α})), δ ∈ (0, 1) the failure probability, and
/// t(δ) = ½·log(2/δ) (as stated) or sqrt(log(2/δ)) (corrected Gaussian tail; the stated constant is only
/// justified for δ ≤ 2e^{−4}).
public enum PaperBounds {
    /// The tail term of the bounds.
    public enum Tail: Sendable { case asStated, corrected }

    public static func tail(_ delta: Double, _ kind: Tail) -> Double {
        switch kind {
        case .asStated: return 0.5 * Foundation.log(2 / delta)
        case .corrected: return Foundation.log(2 / delta).squareRoot()
        }
    }

    /// Lemma 11 (33) threshold h^{1−2α}: the lemma claims Δ̲(0) exceeds it.
    public static func lemma33Threshold(width h: Int, alpha: Double) -> Double {
        Foundation.pow(Double(h), 1 - 2 * alpha)
    }

    /// Lemma 11 (34): 2 sqrt(m + r)(sqrt(m + n) + t(δ)) / h^{2α − 1/2}.
    public static func lemma34Bound(m: Int, r: Int, n: Int, width h: Int, alpha: Double, delta: Double,
                                    tail kind: Tail = .asStated) -> Double {
        2 * Double(m + r).squareRoot() * (Double(m + n).squareRoot() + tail(delta, kind))
            / Foundation.pow(Double(h), 2 * alpha - 0.5)
    }

    /// Lemma 11 (35): 2 sqrt(m)(sqrt(m + n) + t(δ)) / h^{2α − 1/2}.
    public static func lemma35Bound(m: Int, n: Int, width h: Int, alpha: Double, delta: Double,
                                    tail kind: Tail = .asStated) -> Double {
        2 * Double(m).squareRoot() * (Double(m + n).squareRoot() + tail(delta, kind))
            / Foundation.pow(Double(h), 2 * alpha - 0.5)
    }

    /// log C with C = exp(1 + λ1(Σx)^{1/2}‖Y‖_F / λr(Σx)).
    public static func logC(lambdaMax: Double, lambdaMin: Double, yFrobenius: Double) -> Double {
        1 + lambdaMax.squareRoot() * yFrobenius / lambdaMin
    }

    /// Theorem 12: 2 C^{1/h^{1−2α}} sqrt(m + r)(sqrt(m + n) + t(δ)) / h^{2α − 1/2}, evaluated in log space
    /// (+∞ when C^{…} overflows; the comparison "distance ≤ bound" then holds trivially).
    public static func theorem12Bound(m: Int, r: Int, n: Int, width h: Int, alpha: Double, delta: Double,
                                      lambdaMax: Double, lambdaMin: Double, yFrobenius: Double,
                                      tail kind: Tail = .asStated) -> Double {
        let exponent = logC(lambdaMax: lambdaMax, lambdaMin: lambdaMin, yFrobenius: yFrobenius)
            / Foundation.pow(Double(h), 1 - 2 * alpha)
        return Foundation.exp(exponent) * lemma34Bound(m: m, r: r, n: n, width: h, alpha: alpha, delta: delta, tail: kind)
    }

    /// h0 = max{16 (sqrt(m+n) + t(δ))², 4 (λ1(Σx)/λr(Σx)³) m (sqrt(m+n) + t(δ))²} (as stated: t = ½ log(2/δ)).
    public static func h0(m: Int, n: Int, delta: Double, lambdaMax: Double, lambdaMin: Double,
                          tail kind: Tail = .asStated) -> Double {
        let a = Double(m + n).squareRoot() + tail(delta, kind)
        return max(16 * a * a, 4 * (lambdaMax / (lambdaMin * lambdaMin * lambdaMin)) * Double(m) * a * a)
    }

    /// Theorem 12's width threshold h0^{1/(4α−1)} (α > 1/4).
    public static func widthThreshold(h0: Double, alpha: Double) -> Double {
        Foundation.pow(h0, 1 / (4 * alpha - 1))
    }

    /// Whether α lies in the paper's range (1/4, 1/2].
    public static func isValidAlpha(_ alpha: Double) -> Bool { alpha > 0.25 && alpha <= 0.5 }
}
