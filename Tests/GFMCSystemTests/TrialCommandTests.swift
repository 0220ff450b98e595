import Foundation
import GFMCApplication
import GFMCCommandLine
import GFMCStudy
import Testing

/// `gfmc trial` run in-process: its JSON output against closed forms, and its error paths.
@Suite struct TrialCommandTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("gfmc-trial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func run(_ args: [String]) -> (status: Int32, output: String, error: String) {
        let (context, capture) = CommandContext.capturing(currentDirectory: dir.path)
        let status = GFMCMain.run(arguments: args, context: context)
        return (status, capture.output, capture.error)
    }

    static func object(_ text: String) throws -> [String: JSONValue] {
        guard case .object(let o) = try JSONParser.parse(text) else { throw CommandLineError.failure("not an object") }
        return o
    }

    static func double(_ v: JSONValue?) -> Double? {
        if case .number(let s)? = v { return Double(s) }
        return nil
    }

    static func matrix(_ v: JSONValue?) -> [[Double]]? {
        guard case .array(let rows)? = v else { return nil }
        return rows.map { row in
            guard case .array(let entries) = row else { return [] }
            return entries.map { double($0) ?? .nan }
        }
    }

    /// X = diag(1, 2) padded with a zero column (n = 3, N = 2), Y = (1, 4)ᵀ: Θ̂ = X^†Y = (1, 2, 0)ᵀ, L* = 0.
    /// U0 has a component in the null space of X (third row), so Θ(∞) ≠ Θ̂ and ‖Θ(∞) − Θ̂‖ is the distance.
    static let problem = """
    {"X": [[1, 0, 0], [0, 2, 0]], "Y": [[1], [4]],
     "U0": [[0.3, -0.2, 0.1, 0.05], [0.1, 0.2, -0.3, 0.2], [0.25, 0.1, -0.15, 0.3]],
     "V0": [[0.2, 0.1, -0.1, 0.3]]}
    """

    @Test(arguments: ["weights", "gram"])
    func explicitProblemPrintsTheQuantitiesAgainstClosedForms(_ engine: String) throws {
        let path = try write("p.json", Self.problem)
        let r = run(["trial", "--problem", path, "--engine", engine])
        #expect(r.status == 0, "\(r.error)")
        let o = try Self.object(r.output)
        for key in ["theta", "theta_hat", "distance_frobenius", "distance_operator", "final_loss", "optimal_loss",
                    "converged", "effective_imbalance", "rate_constant", "theorem3_rate", "steps", "rhs_evaluations",
                    "final_time", "wall_seconds", "imbalance_drift", "lemma34_quantity", "lemma35_quantity",
                    "initial_null_space_coupling", "bounds", "id", "engine", "method", "stop_reason"] {
            #expect(o[key] != nil, "missing \(key)")
        }
        #expect(o["converged"] == .bool(true))
        #expect(o["engine"] == .string(engine))
        let thetaHat = try #require(Self.matrix(o["theta_hat"]))
        #expect(thetaHat.count == 3 && abs(thetaHat[0][0] - 1) < 1e-14 && abs(thetaHat[1][0] - 2) < 1e-14
                && abs(thetaHat[2][0]) < 1e-14)
        let theta = try #require(Self.matrix(o["theta"]))
        // Θ(∞) agrees with Θ̂ on the row space (the first two rows: XΘ = Y) …
        #expect(abs(theta[0][0] - 1) < 1e-6 && abs(theta[1][0] - 2) < 1e-6)
        // … and the reported distance is the printed difference (its null-space row).
        let direct = abs(theta[2][0] - thetaHat[2][0])
        let distance = try #require(Self.double(o["distance_frobenius"]))
        #expect(direct > 1e-3)
        #expect(abs(distance - direct) <= 1e-7 * max(direct, 1e-300))
        #expect(abs(try #require(Self.double(o["distance_operator"])) - direct) <= 1e-7 * direct)
        #expect(try #require(Self.double(o["optimal_loss"])) < 1e-28)
        #expect(try #require(Self.double(o["final_loss"])) < 1e-10)
    }

    @Test func gradientDescentMeanLossStep() throws {
        // N = 4 samples, so the mean-loss step η becomes 2η/N = η/2 on the ½-loss.
        let path = try write("p4.json", """
        {"X": [[1, 0, 0, 0, 0], [0, 2, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0]], "Y": [[1], [4], [0.5], [-1]],
         "U0": [[0.3, -0.2], [0.1, 0.2], [0.25, 0.1], [0.1, -0.1], [0.2, 0.2]], "V0": [[0.2, 0.1]]}
        """)
        let half = run(["trial", "--problem", path, "--method", "gd", "--gd-step", "0.01", "--max-steps", "50"])
        let mean = run(["trial", "--problem", path, "--method", "gd", "--gd-step", "0.01", "--gd-loss", "mean",
                        "--max-steps", "50"])
        #expect(half.status == 0 && mean.status == 0, "\(half.error) \(mean.error)")
        let h = try Self.object(half.output), m = try Self.object(mean.output)
        #expect(h["method"] == .string("gd"))
        // Time is η·k on the ½-loss: 50 × 0.01 = 0.5, and 50 × 0.005 = 0.25 for the mean-loss step.
        #expect(abs(try #require(Self.double(h["final_time"])) - 0.5) < 1e-12)
        #expect(abs(try #require(Self.double(m["final_time"])) - 0.25) < 1e-12)
        #expect(h["converged"] == .bool(false) && h["stop_reason"] == .string("max_steps"))
        #expect(Self.double(h["steps"]) == 50)
    }

    @Test func boundsAreEvaluatedAtEachDelta() throws {
        let path = try write("p.json", Self.problem)
        let r = run(["trial", "--problem", path, "--alpha", "0.5", "--delta", "0.01", "--delta", "0.05"])
        #expect(r.status == 0, "\(r.error)")
        guard case .array(let bounds)? = try Self.object(r.output)["bounds"] else {
            Issue.record("no bounds array")
            return
        }
        #expect(bounds.count == 2)
        if case .object(let b) = bounds[0] {
            #expect(Self.double(b["delta"]) == 0.01)
            #expect(b["theorem12_bound_corrected"] != nil && b["lemma34_holds"] != nil)
        }
    }

    @Test func studyTrialIsReproducibleAndNamesItsStudy() throws {
        let first = run(["trial", "--study", ConfigsLocation.quick, "--width", "126", "--index", "3"])
        #expect(first.status == 0, "\(first.error)")
        let second = run(["trial", "--study", ConfigsLocation.quick, "--width", "126", "--index", "3"])
        var a = try Self.object(first.output), b = try Self.object(second.output)
        a["wall_seconds"] = nil
        b["wall_seconds"] = nil
        #expect(a == b)
        let quick = try StudyDescription.load(path: ConfigsLocation.quick)
        #expect(a["study_hash"] == .string(quick.identityHash))
        #expect(a["id"] == .object(["width": .number("126"), "index": .number("3")]))
        #expect(a["engine"] == .string("sampled"))
        let weights = run(["trial", "--study", ConfigsLocation.quick, "--width", "50", "--index", "0", "--engine", "weights"])
        #expect(weights.status == 0, "\(weights.error)")
        #expect(try Self.object(weights.output)["engine"] == .string("weights"))
    }

    @Test func errorsNameTheFieldAndWriteNothing() throws {
        let good = try write("p.json", Self.problem)
        let out = dir.appendingPathComponent("out.json").path
        let badShape = try write("bad.json", Self.problem.replacingOccurrences(of: #""V0": [[0.2, 0.1, -0.1, 0.3]]"#,
                                                                             with: #""V0": [[0.2, 0.1, -0.1]]"#))
        let cases: [([String], Int32, [String])] = [
            (["trial", "--problem", dir.appendingPathComponent("none.json").path, "-o", out], 1, ["none.json"]),
            (["trial", "--problem", badShape, "-o", out], 1, ["bad.json", "V0"]),
            (["trial", "--problem", good, "--engine", "sampled", "-o", out], 64, ["--engine"]),
            (["trial", "--problem", good, "--method", "gd", "-o", out], 64, ["--gd-step"]),
            (["trial", "--problem", good, "--gd-step", "0.1", "-o", out], 64, ["--method gd"]),
            (["trial", "--problem", good, "--delta", "0.5", "-o", out], 64, ["--alpha"]),
            (["trial", "--problem", good, "--alpha", "0.9", "-o", out], 64, ["--alpha"]),
            (["trial", "--problem", good, "--width", "3", "-o", out], 64, ["--width"]),
            (["trial", "--study", ConfigsLocation.quick, "--width", "51", "--index", "0", "-o", out], 1, ["width", "51"]),
            (["trial", "--study", ConfigsLocation.quick, "--width", "50", "-o", out], 64, ["--index"]),
            (["trial", "--study", ConfigsLocation.quick, "--width", "50", "--index", "0", "--method", "gd", "-o", out], 64,
             ["--method"]),
            (["trial", "-o", out], 64, ["--problem", "--study"]),
        ]
        for (args, status, mentions) in cases {
            let r = run(args)
            #expect(r.status == status, "\(args): \(r.error)")
            #expect(r.output.isEmpty, "\(args)")
            for m in mentions { #expect(r.error.contains(m), "\(args): \(r.error)") }
            #expect(!FileManager.default.fileExists(atPath: out), "\(args) wrote its output")
        }
        let ok = run(["trial", "--problem", good, "-o", out])
        #expect(ok.status == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == ok.output)
    }
}

enum ConfigsLocation {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let quick = root.appendingPathComponent("configs/quick.json").path
}
