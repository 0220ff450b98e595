/// A failure of an application service (run directory, store, report files) whose message names the file
/// and the problem. The command line prints it after "gfmc COMMAND: error: " and exits with status 1.
public enum ApplicationError: Error, Equatable, CustomStringConvertible, Sendable {
    case failure(String)

    public var description: String {
        switch self {
        case .failure(let message): return message
        }
    }
}

/// The tool's name as it appears in messages and in the commands it suggests ("Resume with: gfmc run …").
public enum GFMCTool {
    public static let name = "gfmc"
}
