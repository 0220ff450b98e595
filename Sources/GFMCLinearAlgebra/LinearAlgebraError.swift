/// A LAPACK routine reported failure through its `info` argument.
///
/// `info < 0`: argument number `-info` was illegal (a bug in our call).
/// `info > 0`: a numerical failure whose meaning depends on the routine (no convergence, singular
/// pivot, matrix not positive definite); `routine` names the LAPACK driver so the message is actionable.
public struct LinearAlgebraError: Error, Equatable, CustomStringConvertible, Sendable {
    public let routine: String
    public let info: Int32
    public let detail: String

    public init(routine: String, info: Int32, detail: String) {
        self.routine = routine
        self.info = info
        self.detail = detail
    }

    public var description: String { "\(routine) failed (info = \(info)): \(detail)" }

    /// Throws when `info != 0`.
    static func check(_ info: Int32, _ routine: String, _ positiveMeaning: String) throws {
        guard info != 0 else { return }
        let detail = info < 0 ? "argument \(-info) had an illegal value" : positiveMeaning
        throw LinearAlgebraError(routine: routine, info: info, detail: detail)
    }
}
