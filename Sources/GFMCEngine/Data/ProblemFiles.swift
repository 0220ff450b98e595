import GFMCLinearAlgebra

/// Builds a `Problem` from an X file and a Y file (CSV or `.npy`, chosen by extension; see
/// `MatrixFileLoader`).
public enum ProblemFiles {
    /// - Throws: `DataLoadError` naming the file for unreadable or malformed files, and
    ///   `DataLoadError.invalidFile` naming the X or Y file when the matrices do not form a valid problem
    ///   (shape mismatch, rank zero, …; the reason carries `ProblemError`'s message).
    public static func load(xPath: String, yPath: String, rankTolerance: Double? = nil) throws -> Problem {
        let x = try MatrixFileLoader.load(path: xPath)
        let y = try MatrixFileLoader.load(path: yPath)
        do {
            return try Problem(x: x, y: y, rankTolerance: rankTolerance)
        } catch let error as ProblemError {
            let file: String
            switch error {
            case .empty(let f), .shapeMismatch(let f, _, _), .nonFinite(let f, _, _), .rankZero(let f), .invalid(let f, _):
                file = f == "Y" ? yPath : xPath
            }
            throw DataLoadError.invalidFile(file: file, reason: error.description)
        }
    }
}
