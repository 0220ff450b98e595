import Foundation

/// The machine and moment a benchmark ran on, as docs/benchmarks.md records them.
public struct BenchMachine: Codable, Sendable {
    /// Online processors (what `nproc` prints).
    public var processors: Int
    /// "model name" from /proc/cpuinfo (nil when unreadable).
    public var cpuModel: String?
    /// MemTotal from /proc/meminfo, in GiB.
    public var memoryGiB: Double?
    /// The 1-, 5- and 15-minute load averages from /proc/loadavg.
    public var loadAverage: [Double]?
    /// ISO 8601 UTC.
    public var date: String
    /// `git rev-parse --short HEAD` in the current directory, when it is a git checkout.
    public var commit: String?

    /// Reads the current machine state (best effort: files that cannot be read give nil).
    public static func current(directory: String) -> BenchMachine {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return BenchMachine(processors: ProcessInfo.processInfo.activeProcessorCount,
                            cpuModel: cpuModel(from: read("/proc/cpuinfo")),
                            memoryGiB: memoryGiB(from: read("/proc/meminfo")),
                            loadAverage: loadAverage(from: read("/proc/loadavg")),
                            date: formatter.string(from: Date()), commit: gitCommit(directory: directory))
    }

    /// The first "model name" value of a /proc/cpuinfo text.
    public static func cpuModel(from text: String?) -> String? {
        guard let text else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// MemTotal (kB in /proc/meminfo) in GiB.
    public static func memoryGiB(from text: String?) -> Double? {
        guard let text else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kB = Double(fields[1]) { return kB / (1024 * 1024) }
        }
        return nil
    }

    /// The first three numbers of /proc/loadavg.
    public static func loadAverage(from text: String?) -> [Double]? {
        guard let text else { return nil }
        let values = text.split(separator: " ").prefix(3).compactMap { Double($0) }
        return values.count == 3 ? values : nil
    }

    /// "load 1.23 / 0.98 / 0.50 (1/5/15 min)".
    public var loadDescription: String {
        guard let l = loadAverage else { return "load unknown" }
        return String(format: "load %.2f / %.2f / %.2f (1/5/15 min)", l[0], l[1], l[2])
    }

    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    static func gitCommit(directory: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory, "rev-parse", "--short", "HEAD"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
