import Foundation
import GFMCLinearAlgebra

/// Reads a dense numeric matrix from CSV text (one matrix row per line).
///
/// Contract:
/// * Fields are separated by commas; surrounding spaces/tabs and one pair of surrounding double quotes are
///   stripped. A field must parse as a finite decimal number (`Double(_:)` syntax; NaN and infinities are
///   rejected because a `Problem` cannot use them).
/// * Header detection: the first non-blank line is a header — and skipped — exactly when at least one of
///   its fields is not a number. Any later non-numeric field is an error.
/// * Blank lines (only whitespace) are ignored anywhere. Lines may end in `\n` or `\r\n`.
/// * Every data row must have the same number of fields as the first data row.
/// * Errors are `DataLoadError.atPosition(file:line:column:reason:)` with 1-based line and character
///   column of the offending field, or `.invalidFile` for an empty file.
public enum CSVMatrixLoader {
    /// Loads the CSV file at `path`.
    public static func load(path: String) throws -> Matrix {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw DataLoadError.unreadable(file: path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataLoadError.invalidFile(file: path, reason: "not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    /// Parses CSV text; `file` is used only in error messages.
    public static func parse(_ text: String, file: String = "<csv>") throws -> Matrix {
        var rows: [[Double]] = []
        var sawFirstLine = false
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = splitFields(line)
            let parsed = fields.map { parseNumber($0.text) }
            if !sawFirstLine {
                sawFirstLine = true
                if parsed.contains(where: { $0 == nil }) { continue }   // header row
            }
            var values: [Double] = []
            values.reserveCapacity(fields.count)
            for (field, value) in zip(fields, parsed) {
                guard let value else {
                    let shown = field.text.isEmpty ? "an empty field" : "\"\(field.text)\""
                    throw DataLoadError.atPosition(file: file, line: lineNumber, column: field.column,
                                                   reason: "expected a number, found \(shown)")
                }
                guard value.isFinite else {
                    throw DataLoadError.atPosition(file: file, line: lineNumber, column: field.column,
                                                   reason: "\"\(field.text)\" is not finite")
                }
                values.append(value)
            }
            if let first = rows.first, first.count != values.count {
                throw DataLoadError.atPosition(file: file, line: lineNumber, column: 1,
                                               reason: "row has \(values.count) fields, expected \(first.count) like the first data row")
            }
            rows.append(values)
        }
        guard !rows.isEmpty else { throw DataLoadError.invalidFile(file: file, reason: "no numeric rows") }
        return Matrix(rowArrays: rows)
    }

    struct Field { var text: String; var column: Int }

    /// Splits on commas and records each field's 1-based starting column (after leading blanks).
    static func splitFields(_ line: Substring) -> [Field] {
        var fields: [Field] = []
        var column = 1
        for piece in line.split(separator: ",", omittingEmptySubsequences: false) {
            let leading = piece.prefix { $0 == " " || $0 == "\t" }.count
            var text = piece.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
                text = String(text.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
            }
            fields.append(Field(text: text, column: column + leading))
            column += piece.count + 1
        }
        return fields
    }

    static func parseNumber(_ s: String) -> Double? {
        guard !s.isEmpty else { return nil }
        return Double(s)
    }
}
