/// A data file that cannot be used. Every case names the file, and where it helps, the line and column
/// (1-based), the JSON key or the row, so the message points at the exact spot to fix.
public enum DataLoadError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// A text file problem at a position: `file:line:column: reason`.
    case atPosition(file: String, line: Int, column: Int, reason: String)
    /// A whole-file problem (wrong format, unsupported dtype, bad header, truncated data, …).
    case invalidFile(file: String, reason: String)
    /// A problem with one key of a JSON problem file; `row` is 0-based when present.
    case invalidKey(file: String, key: String, row: Int?, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let f, let r): return "\(f): cannot read the file: \(r)"
        case .atPosition(let f, let l, let c, let r): return "\(f):\(l):\(c): \(r)"
        case .invalidFile(let f, let r): return "\(f): \(r)"
        case .invalidKey(let f, let k, let row, let r):
            if let row { return "\(f): key \"\(k)\", row \(row): \(r)" }
            return "\(f): key \"\(k)\": \(r)"
        }
    }
}
