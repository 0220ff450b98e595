/// Why a study description was rejected. Every case names the key path (for example `data.noise`) or the
/// file, so a user can fix the file without reading code.
public enum StudyError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The text is not valid JSON (after comment stripping); `message` says where (line:column).
    case syntax(message: String)
    /// A key that the schema does not know. `allowed` lists the keys valid at that place.
    case unknownKey(path: String, allowed: [String])
    /// A required key is absent.
    case missingKey(path: String, hint: String)
    /// The value has the wrong JSON type (`expected` is for example "an integer").
    case wrongType(path: String, expected: String, got: String)
    /// The value has the right type but is out of range or not one of the allowed values.
    case invalidValue(path: String, value: String, allowed: String)
    /// The study file (or a data file it names) cannot be read.
    case unreadable(file: String, reason: String)

    /// The key path or file the error is about.
    public var path: String {
        switch self {
        case .syntax: return ""
        case .unknownKey(let p, _), .missingKey(let p, _), .wrongType(let p, _, _), .invalidValue(let p, _, _):
            return p
        case .unreadable(let f, _): return f
        }
    }

    public var description: String {
        switch self {
        case .syntax(let m):
            return "invalid JSON: \(m)"
        case .unknownKey(let p, let allowed):
            return "unknown key '\(p)'; allowed keys here: \(allowed.sorted().joined(separator: ", "))"
        case .missingKey(let p, let hint):
            return "missing key '\(p)'" + (hint.isEmpty ? "" : " (\(hint))")
        case .wrongType(let p, let e, let g):
            return "'\(p)' must be \(e), got \(g)"
        case .invalidValue(let p, let v, let allowed):
            return "'\(p)' = \(v) is not allowed; allowed: \(allowed)"
        case .unreadable(let f, let r):
            return "cannot read '\(f)': \(r)"
        }
    }
}
