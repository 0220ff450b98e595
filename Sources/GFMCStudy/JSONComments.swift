/// Comments in study files: `// to end of line` and `/* block */`, recognised only outside JSON strings.
public enum JSONComments {
    /// Returns `text` with every comment replaced by spaces (newlines inside block comments are kept), so line
    /// and column numbers in later parse errors still point into the original file.
    ///
    /// Strings are tracked with their escapes, so `"http://x"`, `"a /* b */"` and `"\"//"` are left intact.
    /// - Throws: `StudyError.syntax` for a block comment that is never closed (naming its line).
    public static func strip(_ text: String) throws -> String {
        enum State { case code, string, stringEscape, lineComment, blockComment }
        var state = State.code
        var out: [Character] = []
        let chars = Array(text)
        out.reserveCapacity(chars.count)
        var line = 1
        var blockStartLine = 0
        var i = 0
        while i < chars.count {
            let c = chars[i]
            let next: Character? = i + 1 < chars.count ? chars[i + 1] : nil
            switch state {
            case .code:
                if c == "\"" {
                    state = .string
                    out.append(c)
                } else if c == "/" && next == "/" {
                    state = .lineComment
                    out.append(" "); out.append(" ")
                    i += 1
                } else if c == "/" && next == "*" {
                    state = .blockComment
                    blockStartLine = line
                    out.append(" "); out.append(" ")
                    i += 1
                } else {
                    out.append(c)
                }
            case .string:
                if c == "\\" { state = .stringEscape } else if c == "\"" { state = .code }
                out.append(c)
            case .stringEscape:
                state = .string
                out.append(c)
            case .lineComment:
                if c == "\n" || c == "\r\n" || c == "\r" {
                    state = .code
                    out.append(c)
                } else {
                    out.append(" ")
                }
            case .blockComment:
                if c == "*" && next == "/" {
                    state = .code
                    out.append(" "); out.append(" ")
                    i += 1
                } else if c == "\n" || c == "\r\n" || c == "\r" {
                    out.append(c)
                } else {
                    out.append(" ")
                }
            }
            if c == "\n" || c == "\r\n" { line += 1 }
            i += 1
        }
        if state == .blockComment {
            throw StudyError.syntax(message: "block comment opened on line \(blockStartLine) is never closed with */")
        }
        return String(out)
    }
}
