import Foundation
import GFMCEngine

extension StudyDescription {
    /// Top-level keys of a study file.
    public static let topLevelKeys = ["name", "seed", "data", "init", "widths", "trials", "precision", "engine",
                                      "method", "scheme", "gd_step", "gd_loss", "tolerances", "deltas",
                                      "rank_tolerance"]

    /// Parses and validates a study file's text (comments allowed) into a resolved description. Pure: no file
    /// access (for the `files` recipe, paths are kept as written; use `load(path:)` to resolve and hash them).
    /// - Throws: `StudyError` naming the key path and the allowed values.
    public static func parse(_ text: String) throws -> StudyDescription {
        try resolve(JSONParser.parse(JSONComments.strip(text)))
    }

    /// Validates a parsed study value and fills in the defaults.
    public static func resolve(_ json: JSONValue) throws -> StudyDescription {
        let top = try StudyFieldReader(json, path: "")
        try top.allowOnly(topLevelKeys)

        let name = try top.require("name", top.string("name"), hint: "a label for the study, e.g. \"quick\"")
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StudyError.invalidValue(path: "name", value: "\"\(name)\"", allowed: "a non-empty string")
        }
        let seed = try top.uint64("seed") ?? 1

        let dataReader = try top.require("data", top.object("data"),
                                         hint: "for example {\"recipe\": \"gaussian\", \"samples\": 20, \"input_dim\": 40}")
        var data = try parseData(dataReader)
        if data.recipe != .files && data.dataSeed == nil { data.dataSeed = seed }

        let deltas = try parseDeltas(top)
        let initialization = try top.object("init").map { try parseInitialization($0) }
            ?? StudyInitialization(kind: .widthScaled, alpha: 0.5)
        if let alpha = initialization.alpha, !deltas.isEmpty, !(alpha > 0.25 && alpha <= 0.5) {
            throw StudyError.invalidValue(path: "init.alpha", value: "\(alpha)",
                allowed: "(1/4, 1/2] when bounds are evaluated (Lemma 11 / Theorem 12 need it); set \"deltas\": [] "
                    + "to run without bounds")
        }

        let widthsValue = try top.require("widths", top.members["widths"],
                                          hint: "a list such as [100, 1000] or {\"from\": 50, \"to\": 5000, \"count\": 8}")
        let widths = try parseWidths(widthsValue)

        let trials = try top.int("trials", atLeast: 1)
        let precision = try top.object("precision").map { try parsePrecision($0, deltas: deltas) }
        switch (trials, precision) {
        case (nil, nil):
            throw StudyError.missingKey(path: "trials", hint: "give either \"trials\" (per width) or \"precision\"")
        case (.some, .some):
            throw StudyError.invalidValue(path: "precision", value: "given together with \"trials\"",
                                          allowed: "exactly one of \"trials\" and \"precision\"")
        default: break
        }

        let engine = try top.enumeration("engine", EngineChoice.self) ?? .auto
        if engine == .sampled && !initialization.isReducedSamplable {
            throw StudyError.invalidValue(path: "engine", value: "\"sampled\"",
                allowed: "\"auto\", \"weights\" or \"gram\" for init kind \"\(initialization.kind.rawValue)\" (the "
                    + "sampled engine is exact only for i.i.d. Gaussian and invariant-set starts)")
        }
        let method = try top.enumeration("method", MethodChoice.self) ?? .flow
        var gdStep: Double? = nil
        var gdLoss: GDLossScaling? = nil
        if method == .gd {
            gdStep = try top.require("gd_step", top.double("gd_step", requirement: "> 0") { $0 > 0 },
                                     hint: "the gradient-descent step η, required with \"method\": \"gd\"")
            gdLoss = try top.enumeration("gd_loss", GDLossScaling.self) ?? .half
        } else {
            for key in ["gd_step", "gd_loss"] where top.has(key) {
                throw StudyError.invalidValue(path: key, value: "given with method \"flow\"",
                                              allowed: "only with \"method\": \"gd\"")
            }
        }

        let scheme = try top.enumeration("scheme", IntegrationScheme.self) ?? .dopri5
        if method == .gd && top.has("scheme") {
            throw StudyError.invalidValue(path: "scheme", value: "given with method \"gd\"",
                                          allowed: "only with \"method\": \"flow\"")
        }

        let tolerances = try top.object("tolerances").map(parseTolerances) ?? Tolerances()

        var rankTolerance: Double? = nil
        if let v = top.members["rank_tolerance"] {
            if case .string(let s) = v, s == "auto" {
                rankTolerance = nil
            } else if case .number = v {
                rankTolerance = try StudyFieldReader.double(v, path: "rank_tolerance", requirement: "> 0") { $0 > 0 }
            } else {
                throw StudyError.wrongType(path: "rank_tolerance", expected: "\"auto\" or a number > 0",
                                           got: StudyFieldReader.describe(v))
            }
        }

        return StudyDescription(name: name, seed: seed, data: data, initialization: initialization, widths: widths,
                                trials: trials, precision: precision, engine: engine, method: method, scheme: scheme,
                                gdStep: gdStep,
                                gdLoss: gdLoss, tolerances: tolerances, deltas: deltas, rankTolerance: rankTolerance)
    }

    // MARK: - Sections

    static func parseData(_ r: StudyFieldReader) throws -> StudyData {
        let recipe = try r.require("recipe", r.enumeration("recipe", StudyData.Recipe.self),
                                   hint: "one of " + StudyData.Recipe.allCases.map { "\"\($0.rawValue)\"" }
                                       .joined(separator: ", "))
        var d = StudyData(recipe: recipe)
        let positive: (Double) -> Bool = { $0 > 0 }
        switch recipe {
        case .gaussian, .whitened:
            var allowed = ["recipe", "samples", "input_dim", "output_dim", "noise", "data_seed"]
            if recipe == .gaussian { allowed.append("x_variance") }
            try r.allowOnly(allowed)
            d.samples = try r.require("samples", r.int("samples", atLeast: 1), hint: "the number N of samples")
            d.inputDim = try r.require("input_dim", r.int("input_dim", atLeast: 1), hint: "the input dimension n")
            d.outputDim = try r.int("output_dim", atLeast: 1) ?? 1
            d.noise = try r.double("noise", requirement: "≥ 0 (a standard deviation)") { $0 >= 0 } ?? 0.01
            if recipe == .gaussian, let v = r.members["x_variance"] {
                if case .string("auto") = v {
                    d.xVariance = nil
                } else {
                    d.xVariance = try StudyFieldReader.double(v, path: r.keyPath("x_variance"),
                                                              requirement: "> 0 or \"auto\" (1/input_dim)", isValid: positive)
                }
            }
            d.dataSeed = try r.uint64("data_seed")
        case .factorization:
            try r.allowOnly(["recipe", "input_dim", "output_dim", "y_variance", "data_seed"])
            d.inputDim = try r.require("input_dim", r.int("input_dim", atLeast: 1), hint: "the dimension n (X = I_n/sqrt(m·h))")
            d.outputDim = try r.int("output_dim", atLeast: 1) ?? 1
            d.yVariance = try r.double("y_variance", requirement: "> 0 (a variance)", isValid: positive) ?? 0.1
            d.dataSeed = try r.uint64("data_seed")
        case .files:
            try r.allowOnly(["recipe", "x_file", "y_file", "x_sha256", "y_sha256"])
            d.xFile = try r.require("x_file", r.string("x_file"), hint: "path to X (N×n) as .csv or .npy")
            d.yFile = try r.require("y_file", r.string("y_file"), hint: "path to Y (N×m) as .csv or .npy")
            for (key, file) in [("x_file", d.xFile!), ("y_file", d.yFile!)] {
                let lower = file.lowercased()
                guard lower.hasSuffix(".csv") || lower.hasSuffix(".npy") else {
                    throw StudyError.invalidValue(path: r.keyPath(key), value: "\"\(file)\"",
                                                  allowed: "paths ending in .csv or .npy")
                }
            }
            d.xSHA256 = try parseDigest(r, "x_sha256")
            d.ySHA256 = try parseDigest(r, "y_sha256")
        }
        return d
    }

    static func parseDigest(_ r: StudyFieldReader, _ key: String) throws -> String? {
        guard let s = try r.string(key) else { return nil }
        let hex = Set("0123456789abcdef")
        guard s.count == 64, s.allSatisfy({ hex.contains($0) }) else {
            throw StudyError.invalidValue(path: r.keyPath(key), value: "\"\(s)\"",
                                          allowed: "64 lowercase hexadecimal digits (a SHA-256)")
        }
        return s
    }

    static func parseInitialization(_ r: StudyFieldReader) throws -> StudyInitialization {
        let kind = try r.require("kind", r.enumeration("kind", StudyInitialization.Kind.self),
                                 hint: "one of " + StudyInitialization.Kind.allCases.map { "\"\($0.rawValue)\"" }
                                     .joined(separator: ", "))
        let alphaRule = "in (0, 1] (entries N(0, h^(-2 alpha)))"
        func alpha() throws -> Double? { try r.double("alpha", requirement: alphaRule) { $0 > 0 && $0 <= 1 } }
        func sigma(_ key: String) throws -> Double? {
            try r.double(key, requirement: "> 0 (a standard deviation)") { $0 > 0 }
        }
        switch kind {
        case .widthScaled:
            try r.allowOnly(["kind", "alpha"])
            return StudyInitialization(kind: kind, alpha: try alpha() ?? 0.5)
        case .gaussian:
            try r.allowOnly(["kind", "sigma_u", "sigma_v"])
            return StudyInitialization(kind: kind,
                                       sigmaU: try r.require("sigma_u", sigma("sigma_u"), hint: "std. dev. of U's entries"),
                                       sigmaV: try r.require("sigma_v", sigma("sigma_v"), hint: "std. dev. of V's entries"))
        case .invariantSet, .balanced:
            try r.allowOnly(["kind", "alpha", "sigma_u", "sigma_v"])
            let hasSigma = r.has("sigma_u") || r.has("sigma_v")
            if hasSigma {
                if r.has("alpha") {
                    throw StudyError.invalidValue(path: r.keyPath("alpha"), value: "given with sigma_u/sigma_v",
                                                  allowed: "either \"alpha\" or both \"sigma_u\" and \"sigma_v\"")
                }
                return StudyInitialization(kind: kind,
                                           sigmaU: try r.require("sigma_u", sigma("sigma_u"), hint: "given sigma_v"),
                                           sigmaV: try r.require("sigma_v", sigma("sigma_v"), hint: "given sigma_u"))
            }
            return StudyInitialization(kind: kind, alpha: try alpha() ?? 0.5)
        }
    }

    static func parseWidths(_ value: JSONValue) throws -> [Int] {
        var widths: [Int]
        switch value {
        case .array(let items):
            guard !items.isEmpty else {
                throw StudyError.invalidValue(path: "widths", value: "[]", allowed: "a non-empty list of integers ≥ 1")
            }
            widths = try items.enumerated().map { try StudyFieldReader.int($1, path: "widths[\($0)]", atLeast: 1) }
            var seen = Set<Int>()
            for (i, w) in widths.enumerated() where !seen.insert(w).inserted {
                throw StudyError.invalidValue(path: "widths[\(i)]", value: "\(w)", allowed: "distinct widths (\(w) repeats)")
            }
        case .object:
            let r = try StudyFieldReader(value, path: "widths")
            try r.allowOnly(["from", "to", "count", "spacing"])
            let from = try r.require("from", r.int("from", atLeast: 1), hint: "the smallest width")
            let to = try r.require("to", r.int("to", atLeast: 1), hint: "the largest width")
            let count = try r.require("count", r.int("count", atLeast: 1), hint: "how many widths")
            let spacing = try r.choice("spacing", allowed: ["log", "linear"]) ?? "log"
            guard to >= from else {
                throw StudyError.invalidValue(path: "widths.to", value: "\(to)", allowed: "integers ≥ widths.from (\(from))")
            }
            if count == 1 {
                guard from == to else {
                    throw StudyError.invalidValue(path: "widths.count", value: "1",
                                                  allowed: "≥ 2 when from ≠ to (count 1 needs from == to)")
                }
                widths = [from]
            } else {
                widths = (0..<count).map { i in
                    let t = Double(i) / Double(count - 1)
                    if i == 0 { return from }
                    if i == count - 1 { return to }
                    let x = spacing == "log"
                        ? (Double.log(Double(from)) + t * (Double.log(Double(to)) - Double.log(Double(from)))).exp
                        : Double(from) + t * Double(to - from)
                    return Int(x.rounded())
                }
                for i in 1..<widths.count where widths[i] == widths[i - 1] {
                    throw StudyError.invalidValue(path: "widths.count", value: "\(count)",
                        allowed: "a count whose \(spacing)-spaced widths from \(from) to \(to) stay distinct after "
                            + "rounding (width \(widths[i]) repeats)")
                }
            }
        default:
            throw StudyError.wrongType(path: "widths", expected: "a list of integers or {from, to, count, spacing}",
                                       got: StudyFieldReader.describe(value))
        }
        return widths.sorted()
    }

    static func parseDeltas(_ top: StudyFieldReader) throws -> [Double] {
        guard let items = try top.array("deltas") else { return [0.05] }
        let deltas = try items.enumerated().map { i, v in
            try StudyFieldReader.double(v, path: "deltas[\(i)]", requirement: "in (0, 1)") { $0 > 0 && $0 < 1 }
        }
        for i in deltas.indices.dropFirst() where deltas[i] <= deltas[i - 1] {
            throw StudyError.invalidValue(path: "deltas[\(i)]", value: "\(deltas[i])",
                                          allowed: "strictly increasing values in (0, 1)")
        }
        return deltas
    }

    static func parseTolerances(_ r: StudyFieldReader) throws -> Tolerances {
        try r.allowOnly(["relative", "absolute", "excess_loss", "theta_change", "max_steps", "max_time"])
        var t = Tolerances()
        if let v = try r.double("relative", requirement: "in (0, 1)", isValid: { $0 > 0 && $0 < 1 }) { t.relative = v }
        if let v = try r.double("absolute", requirement: "≥ 0", isValid: { $0 >= 0 }) { t.absolute = v }
        if let v = try r.double("excess_loss", requirement: "≥ 0", isValid: { $0 >= 0 }) { t.excessLoss = v }
        if let v = try r.double("theta_change", requirement: "> 0 (1e300: stop on the loss alone)",
                                isValid: { $0 > 0 }) { t.thetaChange = v }
        if let v = try r.int("max_steps", atLeast: 1) { t.maxSteps = v }
        if let v = try r.double("max_time", requirement: "> 0 (gradient-flow time)", isValid: { $0 > 0 }) {
            t.maxTime = v
        }
        return t
    }

    static func parsePrecision(_ r: StudyFieldReader, deltas: [Double]) throws -> PrecisionTargets {
        try r.allowOnly(["targets", "confidence", "min_trials_per_width", "max_trials_per_width"])
        let items = try r.require("targets", r.array("targets"),
                                  hint: "a list like [{\"statistic\": \"mean_distance_frobenius\", \"half_width\": 0.01}]")
        guard !items.isEmpty else {
            throw StudyError.invalidValue(path: "precision.targets", value: "[]", allowed: "a non-empty list of targets")
        }
        let targets = try items.enumerated().map { i, v -> PrecisionTarget in
            let t = try StudyFieldReader(v, path: "precision.targets[\(i)]")
            try t.allowOnly(["statistic", "half_width", "delta"])
            let statistic = try t.require("statistic", t.enumeration("statistic", PrecisionTarget.Statistic.self),
                hint: "one of " + PrecisionTarget.Statistic.allCases.map(\.rawValue).joined(separator: ", "))
            let halfWidth = try t.require("half_width", t.double("half_width", requirement: "> 0") { $0 > 0 },
                                          hint: "the largest acceptable confidence-interval half-width")
            let delta = try t.double("delta", requirement: "one of the study's deltas") { deltas.contains($0) }
            if statistic.needsDelta && delta == nil {
                throw StudyError.missingKey(path: t.keyPath("delta"),
                                            hint: "\(statistic.rawValue) is evaluated at a δ; choose one of deltas \(deltas)")
            }
            if !statistic.needsDelta && delta != nil {
                throw StudyError.invalidValue(path: t.keyPath("delta"), value: "\(delta!)",
                                              allowed: "no delta for \(statistic.rawValue)")
            }
            return PrecisionTarget(statistic: statistic, halfWidth: halfWidth, delta: delta)
        }
        let confidence = try r.double("confidence", requirement: "in (0, 1)") { $0 > 0 && $0 < 1 } ?? 0.95
        let minTrials = try r.int("min_trials_per_width", atLeast: 2) ?? 10
        let maxTrials = try r.require("max_trials_per_width", r.int("max_trials_per_width", atLeast: 2),
                                      hint: "the cap on trials per width")
        guard maxTrials >= minTrials else {
            throw StudyError.invalidValue(path: "precision.max_trials_per_width", value: "\(maxTrials)",
                                          allowed: "integers ≥ min_trials_per_width (\(minTrials))")
        }
        return PrecisionTargets(targets: targets, confidence: confidence, minTrialsPerWidth: minTrials,
                                maxTrialsPerWidth: maxTrials)
    }
}

private extension Double {
    static func log(_ x: Double) -> Double { Foundation.log(x) }
    var exp: Double { Foundation.exp(self) }
}
