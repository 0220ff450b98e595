/// A study whose input cannot be used on this machine: its data files are broken, or it needs more memory
/// than the machine has. Found before any trial runs (`StudyDataCheck`, `ResourceEstimate`); the command
/// line exits with status 65 (EX_DATAERR).
///
/// Every error names the study key that causes it (`data.x_file`, `trials`, `widths`, …), the file when
/// there is one, and the problem, e.g.
/// `data.x_file (/data/x.csv): line 3, column 1: row has 2 fields, expected 3 like the first data row`.
public struct StudyInputError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable, Equatable {
        /// A data file is missing, unreadable, malformed, changed since the study was resolved, or its
        /// matrices do not form a problem (row counts differ, NaN/Inf, rank zero).
        case data
        /// The study (coordinator state) or one trial needs more memory than the machine has.
        case resources
    }

    public var kind: Kind
    /// The study key path that causes the problem (`data.x_file`, `data.y_sha256`, `trials`, `widths`, …).
    public var key: String
    /// The data file concerned, when there is one (absolute path).
    public var file: String?
    /// What is wrong, without the key and file (they are in `description`).
    public var problem: String

    public init(kind: Kind, key: String, file: String? = nil, problem: String) {
        self.kind = kind
        self.key = key
        self.file = file
        self.problem = problem
    }

    public var description: String {
        "\(key)" + (file.map { " (\($0))" } ?? "") + ": " + problem
    }
}
