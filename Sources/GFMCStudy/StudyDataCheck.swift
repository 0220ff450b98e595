import Foundation
import GFMCEngine
import GFMCLinearAlgebra

/// Loads and checks a study's data before any trial runs, so bad data is refused at `gfmc validate`,
/// `gfmc run` and `gfmc coordinator` with the key, the file and the problem — and never reaches a worker.
///
/// For the `files` recipe every check a worker would meet is made here, in this order, per file (X, then Y):
/// the file exists and is readable; its SHA-256 equals `x_sha256`/`y_sha256` when the study records one;
/// it parses (CSV: every field a finite number, rows of equal length; `.npy`: magic, version, header,
/// dtype, dimensions, size arithmetic without overflow, data length); then the pair forms a `Problem`
/// (X and Y non-empty with the same number of rows, every entry finite, X of nonzero rank).
/// Synthetic recipes (`gaussian`, `whitened`, `factorization`) have nothing to load: their parameters are
/// checked when the study is parsed, and their size by `ResourceEstimate`.
public enum StudyDataCheck {
    /// Checks the study's data (see the type's contract). Does nothing for synthetic recipes.
    /// - Throws: `StudyInputError` of kind `.data` naming the key (`data.x_file`, `data.y_file`,
    ///   `data.x_sha256`, `data.y_sha256`), the file and the problem.
    /// - Returns: the shape of the loaded data (`files`), nil for synthetic recipes.
    @discardableResult
    public static func check(_ study: StudyDescription) throws -> ResourceEstimate.DataShape? {
        guard study.data.recipe == .files else { return nil }
        let problem = try loadProblem(study.data, rankTolerance: study.rankTolerance)
        return ResourceEstimate.DataShape(samples: problem.samples, inputDimension: problem.inputDimension,
                                          outputDimension: problem.outputDimension)
    }

    /// The `Problem` of a `files` study, with every check of `check(_:)`.
    /// - Throws: `StudyInputError` of kind `.data` (see `check(_:)`).
    public static func loadProblem(_ data: StudyData, rankTolerance: Double?) throws -> Problem {
        let x = try loadMatrix(path: data.xFile, key: "x_file", digestKey: "x_sha256", digest: data.xSHA256)
        let y = try loadMatrix(path: data.yFile, key: "y_file", digestKey: "y_sha256", digest: data.ySHA256)
        do {
            return try Problem(x: x, y: y, rankTolerance: rankTolerance)
        } catch let error as ProblemError {
            let field: String
            switch error {
            case .empty(let f), .shapeMismatch(let f, _, _), .nonFinite(let f, _, _), .rankZero(let f), .invalid(let f, _):
                field = f
            }
            let isY = field == "Y"
            throw StudyInputError(kind: .data, key: isY ? "data.y_file" : "data.x_file",
                                  file: isY ? data.yFile : data.xFile, problem: problemText(error, x: x, y: y))
        } catch {
            throw StudyInputError(kind: .data, key: "data.x_file", file: data.xFile,
                                  problem: "the singular value decomposition of X failed: \(error)")
        }
    }

    /// One data file: read, hash-checked and parsed by its extension (`.npy` → NumPy, else CSV).
    static func loadMatrix(path: String?, key: String, digestKey: String, digest: String?) throws -> Matrix {
        guard let path else {
            throw StudyInputError(kind: .data, key: "data.\(key)", problem: "missing (the files recipe needs x_file and y_file)")
        }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let reason = !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) ? "no such file"
                : isDirectory.boolValue ? "is a directory" : "cannot be read (permission denied?)"
            throw StudyInputError(kind: .data, key: "data.\(key)", file: path, problem: reason)
        }
        if let digest {
            let actual = SHA256.hexDigest(bytes)
            guard actual == digest else {
                throw StudyInputError(kind: .data, key: "data.\(digestKey)", file: path,
                                      problem: "the file's SHA-256 is \(actual), the study expects \(digest) "
                                          + "(the file changed since the study was resolved)")
            }
        }
        do {
            if path.lowercased().hasSuffix(".npy") { return try NPYMatrixLoader.parse([UInt8](bytes), file: path) }
            guard let text = String(data: bytes, encoding: .utf8) else {
                throw DataLoadError.invalidFile(file: path, reason: "not UTF-8 text (a CSV file was expected; .npy files must end in .npy)")
            }
            return try CSVMatrixLoader.parse(text, file: path)
        } catch let error as DataLoadError {
            throw StudyInputError(kind: .data, key: "data.\(key)", file: path, problem: reasonWithoutFile(error))
        }
    }

    /// A loader error's text without the file name (the `StudyInputError` names it once).
    static func reasonWithoutFile(_ error: DataLoadError) -> String {
        switch error {
        case .unreadable(_, let reason): return "cannot read the file: \(reason)"
        case .atPosition(_, let line, let column, let reason): return "line \(line), column \(column): \(reason)"
        case .invalidFile(_, let reason): return reason
        case .invalidKey(_, let key, let row, let reason):
            return "key \"\(key)\"" + (row.map { ", row \($0)" } ?? "") + ": \(reason)"
        }
    }

    /// A `ProblemError` in the words of data files (rows are samples; positions 1-based like the CSV loader's).
    static func problemText(_ error: ProblemError, x: Matrix, y: Matrix) -> String {
        switch error {
        case .shapeMismatch(let field, _, _) where field == "Y":
            return "Y has \(y.rows) row\(y.rows == 1 ? "" : "s") and X has \(x.rows) (one row per sample in both files)"
        case .nonFinite(let field, let row, let column):
            return "\(field) entry at row \(row + 1), column \(column + 1) is NaN or infinite"
        case .empty(let field):
            return "\(field) is empty"
        default:
            return error.description
        }
    }
}
