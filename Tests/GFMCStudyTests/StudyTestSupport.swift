import GFMCStudy
import Testing

/// A minimal valid study, and a way to change one key of it.
enum StudyFixture {
    static let minimalText = """
    {"name": "t", "data": {"recipe": "gaussian", "samples": 10, "input_dim": 20},
     "init": {"kind": "width_scaled", "alpha": 0.5}, "widths": [100, 10], "trials": 3}
    """

    static var minimal: JSONValue { try! JSONParser.parse(minimalText) }

    /// `minimal` with the value at `path` (dot-separated) replaced by the JSON `value` (nil removes the key).
    static func with(_ path: String, _ value: String?, in base: JSONValue = minimal) -> JSONValue {
        let keys = path.split(separator: ".").map(String.init)
        return set(base, keys[...], value.map { try! JSONParser.parse($0) })
    }

    private static func set(_ node: JSONValue, _ keys: ArraySlice<String>, _ value: JSONValue?) -> JSONValue {
        guard case .object(var members) = node, let key = keys.first else { return node }
        if keys.count == 1 {
            members[key] = value
        } else {
            members[key] = set(members[key] ?? .object([:]), keys.dropFirst(), value)
        }
        return .object(members)
    }

    /// The error `resolve` throws for `json`, or nil when it accepts it.
    static func error(_ json: JSONValue) -> StudyError? {
        do {
            _ = try StudyDescription.resolve(json)
            return nil
        } catch let e as StudyError {
            return e
        } catch {
            Issue.record("unexpected error type \(error)")
            return nil
        }
    }
}
