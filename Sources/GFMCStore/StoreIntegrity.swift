import GFMCModel

/// What `StudyStore.checkIntegrity` found.
public struct StoreIntegrityReport: Sendable, Equatable {
    /// `PRAGMA quick_check` messages other than "ok", and read failures, in the order found.
    public var pageProblems: [String] = []
    /// Trials whose stored row does not decode, with the reason.
    public var damagedTrials: [(trial: String, reason: String)] = []
    /// Rows read (decodable or not).
    public var rowsRead = 0

    public var isSound: Bool { pageProblems.isEmpty && damagedTrials.isEmpty }

    /// Everything found, one line each (page problems first).
    public var problems: [String] {
        pageProblems + damagedTrials.map { "trial \($0.trial): \($0.reason)" }
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.pageProblems == b.pageProblems && a.rowsRead == b.rowsRead
            && a.damagedTrials.map { "\($0.trial) \($0.reason)" } == b.damagedTrials.map { "\($0.trial) \($0.reason)" }
    }
}

extension StudyStore {
    /// Checks the file (`PRAGMA quick_check`) and that every stored result decodes. Reads the whole
    /// trials table once (one row at a time).
    /// - Parameter limit: stop listing after this many problems of each kind.
    public func checkIntegrity(limit: Int = 100) throws -> StoreIntegrityReport {
        try requireCurrentSchema()
        var report = StoreIntegrityReport()
        do {
            try connection.forEachRow("PRAGMA quick_check(\(max(1, limit)))", [], operation: "quick_check") { row in
                let message = row.first?.string ?? "?"
                if message != "ok" { report.pageProblems.append(message) }
            }
        } catch {
            report.pageProblems.append("quick_check failed: \(error)")
        }
        do {
            try? dictionaries.reload(connection)
            let statement = try SQLiteStatement(connection, "SELECT \(StoreSchema.resultColumns) FROM trials",
                                                operation: "check results")
            try statement.bind([])
            while try statement.step() {
                report.rowsRead += 1
                let row = statement.row()
                do {
                    _ = try TrialRowCodec.decode(row, label: { self.dictionaries.labelTexts[$0] },
                                                 boundSet: { self.dictionaries.boundSets[$0] })
                } catch {
                    if report.damagedTrials.count < limit {
                        report.damagedTrials.append((Self.trialName(row), "\(error)"))
                    }
                }
            }
        } catch {
            report.pageProblems.append("reading the trials failed after \(report.rowsRead) rows: \(error)")
        }
        return report
    }

    /// Throws `StoreError.damaged` (naming `gfmc repair`) unless `checkIntegrity` finds the store sound.
    /// A resume calls this before it starts.
    public func requireSound() throws {
        let report = try checkIntegrity(limit: 20)
        if !report.isSound { throw StoreError.damaged(path: path, problems: report.problems) }
    }

    /// "h=W#K" from a row's first two columns (with "?" for what does not read).
    static func trialName(_ row: [SQLValue]) -> String {
        "h=\(row.first?.int.map(String.init) ?? "?")#\(row.dropFirst().first?.int.map(String.init) ?? "?")"
    }
}
