import GFMCApplication
import GFMCStudy

/// The STUDY argument shared by study commands: a study file path, or the embedded quick default when absent.
public enum StudyArgument {
    /// Help text for a STUDY positional.
    public static let help = "Study file (JSON, comments allowed); the embedded quick study when omitted."

    /// Loads and validates the study at `path` (relative to the context's directory), or the embedded default.
    /// - Throws: `CommandLineError.failure` whose message names the file and the offending key.
    public static func load(_ path: String?, context: CommandContext) throws -> StudyDescription {
        guard let path else {
            do { return try StudyDescription.parse(EmbeddedStudies.quick) } catch {
                throw CommandLineError.failure("embedded quick study: \(error)")
            }
        }
        let resolved = context.resolvePath(path)
        do {
            return try StudyDescription.load(path: resolved)
        } catch let error as StudyError {
            if case .unreadable = error { throw CommandLineError.failure("\(error)") }
            throw CommandLineError.failure("\(path): \(error)")
        }
    }
}
