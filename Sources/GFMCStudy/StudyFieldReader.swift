/// Typed, path-aware access to one JSON object of a study file. Every error names the full key path
/// (`data.noise`, `precision.targets[0].half_width`) and what was expected.
struct StudyFieldReader {
    let path: String
    let members: [String: JSONValue]

    init(_ value: JSONValue, path: String) throws {
        guard case .object(let members) = value else {
            throw StudyError.wrongType(path: path.isEmpty ? "(top level)" : path, expected: "an object",
                                       got: StudyFieldReader.describe(value))
        }
        self.path = path
        self.members = members
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Throws `unknownKey` for the first key (in sorted order) outside `allowed`.
    func allowOnly(_ allowed: [String]) throws {
        for key in members.keys.sorted() where !allowed.contains(key) {
            throw StudyError.unknownKey(path: keyPath(key), allowed: allowed)
        }
    }

    func has(_ key: String) -> Bool { members[key] != nil }

    func require<T>(_ key: String, _ value: T?, hint: String = "") throws -> T {
        guard let value else { throw StudyError.missingKey(path: keyPath(key), hint: hint) }
        return value
    }

    func string(_ key: String) throws -> String? {
        guard let v = members[key] else { return nil }
        guard case .string(let s) = v else {
            throw StudyError.wrongType(path: keyPath(key), expected: "a string", got: Self.describe(v))
        }
        return s
    }

    /// A string that must be one of `allowed`.
    func choice(_ key: String, allowed: [String]) throws -> String? {
        guard let v = members[key] else { return nil }
        let list = allowed.map { "\"\($0)\"" }.joined(separator: ", ")
        guard case .string(let s) = v else {
            throw StudyError.wrongType(path: keyPath(key), expected: "one of the strings \(list)", got: Self.describe(v))
        }
        guard allowed.contains(s) else { throw StudyError.invalidValue(path: keyPath(key), value: "\"\(s)\"", allowed: list) }
        return s
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type) throws -> E?
    where E.RawValue == String {
        try choice(key, allowed: E.allCases.map(\.rawValue)).flatMap(E.init(rawValue:))
    }

    func int(_ key: String, atLeast minimum: Int) throws -> Int? {
        guard let v = members[key] else { return nil }
        return try Self.int(v, path: keyPath(key), atLeast: minimum)
    }

    func uint64(_ key: String) throws -> UInt64? {
        guard let v = members[key] else { return nil }
        guard case .number(let literal) = v else {
            throw StudyError.wrongType(path: keyPath(key), expected: "an unsigned 64-bit integer", got: Self.describe(v))
        }
        guard let u = UInt64(literal) else {
            throw StudyError.invalidValue(path: keyPath(key), value: literal,
                                          allowed: "integers 0…18446744073709551615 written without '.' or exponent")
        }
        return u
    }

    /// A finite number satisfying `isValid`; `requirement` describes the allowed range ("> 0").
    func double(_ key: String, requirement: String, isValid: (Double) -> Bool) throws -> Double? {
        guard let v = members[key] else { return nil }
        return try Self.double(v, path: keyPath(key), requirement: requirement, isValid: isValid)
    }

    func array(_ key: String) throws -> [JSONValue]? {
        guard let v = members[key] else { return nil }
        guard case .array(let items) = v else {
            throw StudyError.wrongType(path: keyPath(key), expected: "an array", got: Self.describe(v))
        }
        return items
    }

    func object(_ key: String) throws -> StudyFieldReader? {
        guard let v = members[key] else { return nil }
        return try StudyFieldReader(v, path: keyPath(key))
    }

    static func int(_ v: JSONValue, path: String, atLeast minimum: Int) throws -> Int {
        guard case .number(let literal) = v else {
            throw StudyError.wrongType(path: path, expected: "an integer ≥ \(minimum)", got: describe(v))
        }
        let value: Int
        if let i = Int(literal) {
            value = i
        } else if let d = Double(literal), d.isFinite, d == d.rounded(), abs(d) < 9.0e15 {
            value = Int(d)   // 1e4, 5000.0: integral and exactly representable
        } else {
            throw StudyError.wrongType(path: path, expected: "an integer ≥ \(minimum)", got: literal)
        }
        guard value >= minimum else {
            throw StudyError.invalidValue(path: path, value: literal, allowed: "integers ≥ \(minimum)")
        }
        return value
    }

    static func double(_ v: JSONValue, path: String, requirement: String,
                       isValid: (Double) -> Bool) throws -> Double {
        guard case .number(let literal) = v else {
            throw StudyError.wrongType(path: path, expected: "a number \(requirement)", got: describe(v))
        }
        guard let d = Double(literal), d.isFinite else {
            throw StudyError.invalidValue(path: path, value: literal, allowed: "finite numbers \(requirement)")
        }
        guard isValid(d) else { throw StudyError.invalidValue(path: path, value: literal, allowed: "numbers \(requirement)") }
        return d == 0 ? 0 : d   // no negative zero in the resolved study
    }

    /// "a string (\"abc\")", "the number 5", … for messages.
    static func describe(_ v: JSONValue) -> String {
        let text = v.canonicalText
        let short = text.count > 40 ? String(text.prefix(37)) + "…" : text
        return "\(v.typeName) (\(short))"
    }
}
