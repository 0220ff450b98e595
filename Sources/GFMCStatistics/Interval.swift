/// A two-sided confidence interval [lower, upper] with its nominal confidence level.
/// `lower` may be −∞ and `upper` +∞ when the data cannot bound that side (for example an order-statistic
/// interval for an extreme quantile from few observations).
public struct ConfidenceInterval: Codable, Equatable, Sendable, CustomStringConvertible {
    public var lower: Double
    public var upper: Double
    /// Nominal coverage, e.g. 0.95.
    public var level: Double

    public init(lower: Double, upper: Double, level: Double) {
        self.lower = lower
        self.upper = upper
        self.level = level
    }

    /// upper − lower (+∞ when a side is unbounded).
    public var width: Double { upper - lower }

    public func contains(_ x: Double) -> Bool { lower <= x && x <= upper }

    public var description: String { "[\(lower), \(upper)] @\(level)" }
}

/// Errors for invalid statistical input; each message names the offending argument.
public struct StatisticsError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

func validateLevel(_ level: Double, _ name: String = "level") throws {
    guard level > 0 && level < 1 else {
        throw StatisticsError("\(name) must lie in (0, 1), got \(level)")
    }
}
