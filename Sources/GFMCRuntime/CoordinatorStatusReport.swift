import Foundation
import GFMCCoordination

/// The coordinator's `status.json` (written atomically every progress interval and at the end), read
/// by `gfmc status`.
public struct CoordinatorStatusReport: Codable, Equatable, Sendable {
    /// "running", "complete" or "stopped".
    public var state: String
    /// The endpoint the coordinator is bound to (the real port when bound to port 0).
    public var endpoint: String
    public var pid: Int32
    /// Unix time of this snapshot (seconds).
    public var updatedAt: Double
    public var status: CoordinatorStatus

    public init(state: String, endpoint: String, pid: Int32, updatedAt: Double, status: CoordinatorStatus) {
        self.state = state
        self.endpoint = endpoint
        self.pid = pid
        self.updatedAt = updatedAt
        self.status = status
    }

    /// Human-readable form for `gfmc status`.
    public var text: String {
        var lines = ["state: \(state) (pid \(pid), \(endpoint))", status.progressLine]
        lines.append("study: \(status.studyHash)")
        lines.append("elapsed: \(CoordinatorStatus.duration(status.elapsedSeconds)), tasks issued: \(status.tasksIssued), "
                     + "duplicates dropped: \(status.duplicatesDropped), rejected messages: \(status.rejectedMessages)")
        return lines.joined(separator: "\n")
    }

    /// Pretty, sorted-key JSON (NaN-free by construction: the ETA is null when unknown).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// Writes atomically (temporary file + rename), so readers never see a torn file.
    public func write(to path: String) throws {
        try json().write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    public static func read(from path: String) throws -> CoordinatorStatusReport {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(CoordinatorStatusReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
