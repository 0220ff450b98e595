import Foundation
import GFMCEngine
import GFMCLinearAlgebra

/// Small helpers shared by the engine-model tests.
enum TestSupport {
    /// A fresh temporary directory (removed by the caller with `remove`).
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gfmc-engine-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func remove(_ url: URL) { try? FileManager.default.removeItem(at: url) }

    /// Runs `python3 -c script` with `arguments`; returns the exit status (non-zero also when python3 is missing).
    static func runPython(_ script: String, arguments: [String] = []) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A deterministic pseudo-random matrix (a simple LCG; test inputs only).
    static func matrix(_ rows: Int, _ cols: Int, seed: UInt64, scale: Double = 1) -> Matrix {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        return Matrix(rows: rows, cols: cols) { _, _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Double(state >> 11) / Double(1 << 53)
            return (2 * u - 1) * scale
        }
    }

    static func maxAbsDifference(_ a: Matrix, _ b: Matrix) -> Double { (a - b).maxAbs }
}
