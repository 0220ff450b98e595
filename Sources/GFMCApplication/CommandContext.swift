import Foundation

/// Where a command writes and what it may read from its environment. Commands never write to the process's
/// streams directly, so tests run them in-process and read what they printed.
public struct CommandContext: Sendable {
    /// Writes text to standard output exactly as given (no newline added).
    public let writeOutput: @Sendable (String) -> Void
    /// Writes text to standard error exactly as given.
    public let writeError: @Sendable (String) -> Void
    /// Directory relative paths are resolved against.
    public let currentDirectory: String
    public let environment: [String: String]

    public init(writeOutput: @escaping @Sendable (String) -> Void, writeError: @escaping @Sendable (String) -> Void,
                currentDirectory: String = FileManager.default.currentDirectoryPath,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.writeOutput = writeOutput
        self.writeError = writeError
        self.currentDirectory = currentDirectory
        self.environment = environment
    }

    /// The process's real standard output and standard error (unbuffered).
    public static var standard: CommandContext {
        CommandContext(writeOutput: { FileHandle.standardOutput.write(Data($0.utf8)) },
                       writeError: { FileHandle.standardError.write(Data($0.utf8)) })
    }

    /// A context that records what is written; `capture.output` / `capture.error` hold the text.
    public static func capturing(currentDirectory: String = FileManager.default.currentDirectoryPath)
        -> (CommandContext, OutputCapture) {
        let capture = OutputCapture()
        let context = CommandContext(writeOutput: { capture.append(output: $0) },
                                     writeError: { capture.append(error: $0) },
                                     currentDirectory: currentDirectory)
        return (context, capture)
    }

    /// Writes `line` and a newline to standard output.
    public func print(_ line: String) { writeOutput(line + "\n") }

    /// Writes `line` and a newline to standard error.
    public func printError(_ line: String) { writeError(line + "\n") }

    /// `path` made absolute against `currentDirectory` (absolute paths are returned unchanged).
    public func resolvePath(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: currentDirectory).appendingPathComponent(path).standardizedFileURL.path
    }
}

/// Thread-safe record of what a command wrote (for tests and in-process callers).
///
/// `@unchecked Sendable`: both texts are read and appended only under `lock`.
public final class OutputCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var out = ""
    private var err = ""

    public init() {}

    public var output: String { lock.withLock { out } }
    public var error: String { lock.withLock { err } }

    func append(output text: String) { lock.withLock { out += text } }
    func append(error text: String) { lock.withLock { err += text } }
}
