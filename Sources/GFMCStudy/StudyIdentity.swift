import Foundation

extension StudyDescription {
    /// The resolved study as a JSON value with every key explicit except absent optionals (`trials` or
    /// `precision`, the GD keys under "flow", recipe keys that do not apply) and `scheme` when it is the default
    /// "dopri5": that key came after studies were first hashed, and leaving its default out keeps the identity
    /// of every study that does not name a scheme. Parsing it gives back `self`.
    public var jsonValue: JSONValue {
        var top: [String: JSONValue] = [
            "name": .string(name),
            "seed": .number(seed),
            "data": data.jsonValue,
            "init": initialization.jsonValue,
            "widths": .array(widths.map { .number($0) }),
            "engine": .string(engine.rawValue),
            "method": .string(method.rawValue),
            "tolerances": tolerances.jsonValue,
            "deltas": .array(deltas.map { .number($0) }),
            "rank_tolerance": rankTolerance.map { .number($0) } ?? .string("auto"),
        ]
        if let trials { top["trials"] = .number(trials) }
        if let precision { top["precision"] = precision.jsonValue }
        if scheme != .dopri5 { top["scheme"] = .string(scheme.rawValue) }
        if let gdStep { top["gd_step"] = .number(gdStep) }
        if let gdLoss { top["gd_loss"] = .string(gdLoss.rawValue) }
        return .object(top)
    }

    /// Re-validates a description built in code (the memberwise initializer checks nothing): the same
    /// checks as a study file, errors naming the key.
    public func validated() throws -> StudyDescription { try StudyDescription.resolve(jsonValue) }

    /// Canonical JSON of the resolved study: sorted keys, no whitespace, numbers in Swift's shortest
    /// round-trip form. Two study files that differ only in key order, whitespace, comments, default values
    /// written out or not, or the form of `widths` give the same canonical JSON.
    public var canonicalJSON: String { jsonValue.canonicalText }

    /// The study's identity: lowercase hex SHA-256 of the UTF-8 bytes of `canonicalJSON`.
    public var identityHash: String { SHA256.hexDigest(canonicalJSON) }

    /// The resolved study as indented JSON (keys sorted), for people.
    public var prettyJSON: String { JSONValue.pretty(jsonValue) }

    /// Which keys differ between two resolved studies, one line per changed leaf: `"data.noise: 0.01 → 0.02"`,
    /// `"trials: removed (was 50)"`, `"precision: added (...)"`. Empty when the studies are identical
    /// (equivalently, when their identity hashes are equal). Arrays compare as whole values.
    public static func diff(_ old: StudyDescription, _ new: StudyDescription) -> [String] {
        var changes: [String] = []
        diffValues(old.jsonValue, new.jsonValue, path: "", into: &changes)
        return changes
    }

    static func diffValues(_ a: JSONValue?, _ b: JSONValue?, path: String, into changes: inout [String]) {
        switch (a, b) {
        case (.object(let x)?, .object(let y)?):
            for key in Set(x.keys).union(y.keys).sorted() {
                diffValues(x[key], y[key], path: path.isEmpty ? key : "\(path).\(key)", into: &changes)
            }
        case (nil, let v?):
            changes.append("\(path): added (\(v.canonicalText))")
        case (let v?, nil):
            changes.append("\(path): removed (was \(v.canonicalText))")
        case (let x?, let y?) where x != y:
            changes.append("\(path): \(x.canonicalText) → \(y.canonicalText)")
        default:
            break
        }
    }

    /// Reads, parses and validates a study file. Relative `x_file`/`y_file` paths are made absolute against
    /// the study file's directory, and their SHA-256 is recorded (`x_sha256`, `y_sha256`) or, when the file
    /// gives one, checked.
    /// - Throws: `StudyError.unreadable` naming the study file; `StudyError` naming the key for invalid content;
    ///   `StudyInputError` (kind `.data`) naming `data.x_file`/`data.y_file` and the file when a data file cannot
    ///   be read, or `data.x_sha256`/`data.y_sha256` when its digest differs from the one the study records.
    public static func load(path: String) throws -> StudyDescription {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StudyError.unreadable(file: path, reason: FileManager.default.fileExists(atPath: path)
                                            ? "permission denied or not a regular file" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StudyError.unreadable(file: path, reason: "not UTF-8 text")
        }
        var study = try parse(text)
        if study.data.recipe == .files {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            study.data = try resolveDataFiles(study.data, relativeTo: directory)
        }
        return study
    }

    /// Makes the data file paths absolute against `directory` and fills or checks their SHA-256.
    public static func resolveDataFiles(_ data: StudyData, relativeTo directory: URL) throws -> StudyData {
        var d = data
        func resolve(_ file: String, key: String, expected: String?) throws -> (String, String) {
            let absolute = file.hasPrefix("/") ? file
                : directory.appendingPathComponent(file).standardizedFileURL.path
            guard let bytes = FileManager.default.contents(atPath: absolute) else {
                var isDirectory: ObjCBool = false
                let reason = !FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) ? "no such file"
                    : isDirectory.boolValue ? "is a directory" : "cannot be read (permission denied?)"
                throw StudyInputError(kind: .data, key: "data.\(key)", file: absolute, problem: reason)
            }
            let digest = SHA256.hexDigest(bytes)
            if let expected, expected != digest {
                throw StudyInputError(kind: .data, key: "data.\(key == "x_file" ? "x_sha256" : "y_sha256")", file: absolute,
                                      problem: "the file's SHA-256 is \(digest), the study expects \(expected) "
                                          + "(the file changed since the study was resolved)")
            }
            return (absolute, digest)
        }
        if let x = d.xFile { (d.xFile, d.xSHA256) = try resolve(x, key: "x_file", expected: d.xSHA256) }
        if let y = d.yFile { (d.yFile, d.ySHA256) = try resolve(y, key: "y_file", expected: d.ySHA256) }
        return d
    }
}

extension StudyData {
    var jsonValue: JSONValue {
        var o: [String: JSONValue] = ["recipe": .string(recipe.rawValue)]
        if let samples { o["samples"] = .number(samples) }
        if let inputDim { o["input_dim"] = .number(inputDim) }
        if let outputDim { o["output_dim"] = .number(outputDim) }
        if let noise { o["noise"] = .number(noise) }
        if let xVariance { o["x_variance"] = .number(xVariance) }
        if let yVariance { o["y_variance"] = .number(yVariance) }
        if let dataSeed { o["data_seed"] = .number(dataSeed) }
        if let xFile { o["x_file"] = .string(xFile) }
        if let yFile { o["y_file"] = .string(yFile) }
        if let xSHA256 { o["x_sha256"] = .string(xSHA256) }
        if let ySHA256 { o["y_sha256"] = .string(ySHA256) }
        return .object(o)
    }
}

extension StudyInitialization {
    var jsonValue: JSONValue {
        var o: [String: JSONValue] = ["kind": .string(kind.rawValue)]
        if let alpha { o["alpha"] = .number(alpha) }
        if let sigmaU { o["sigma_u"] = .number(sigmaU) }
        if let sigmaV { o["sigma_v"] = .number(sigmaV) }
        return .object(o)
    }
}

extension Tolerances {
    var jsonValue: JSONValue {
        .object([
            "relative": .number(relative), "absolute": .number(absolute), "excess_loss": .number(excessLoss),
            "theta_change": .number(thetaChange), "max_steps": .number(maxSteps), "max_time": .number(maxTime),
        ])
    }
}

extension PrecisionTargets {
    var jsonValue: JSONValue {
        .object([
            "targets": .array(targets.map { t in
                var o: [String: JSONValue] = ["statistic": .string(t.statistic.rawValue),
                                              "half_width": .number(t.halfWidth)]
                if let d = t.delta { o["delta"] = .number(d) }
                return .object(o)
            }),
            "confidence": .number(confidence),
            "min_trials_per_width": .number(minTrialsPerWidth),
            "max_trials_per_width": .number(maxTrialsPerWidth),
        ])
    }
}

extension JSONValue {
    /// Indented JSON with sorted keys (two spaces per level); scalars and arrays of scalars on one line.
    public static func pretty(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case .object(let members) where !members.isEmpty:
            let keys = members.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            let lines = keys.map { key -> String in
                var k = ""
                JSONValue.writeString(key, into: &k)
                return inner + k + ": " + pretty(members[key]!, indent: inner)
            }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
        case .array(let items) where items.contains(where: {
            if case .object = $0 { return true }
            if case .array = $0 { return true }
            return false
        }):
            return "[\n" + items.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .array(let items):
            return "[" + items.map(\.canonicalText).joined(separator: ", ") + "]"
        default:
            return value.canonicalText
        }
    }
}
