import Foundation

func relativeError(_ a: Double, _ b: Double) -> Double {
    if a == b { return 0 }
    return abs(a - b) / max(abs(b), Double.leastNormalMagnitude)
}
