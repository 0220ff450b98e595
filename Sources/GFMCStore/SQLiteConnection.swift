import CSQLite

/// A value bound to or read from an SQL statement.
enum SQLValue {
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case null
}

/// One SQLite connection (one owner; not thread-safe by contract, so it is opened without SQLite's per-call
/// connection mutex, `SQLITE_OPEN_NOMUTEX`: one thread at a time may use it). Errors name the file path and
/// carry `sqlite3_errmsg`.
final class SQLiteConnection {
    let path: String
    private(set) var handle: OpaquePointer?

    init(path: String, readOnly: Bool, busyTimeoutMilliseconds: Int32) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        if rc != SQLITE_OK {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw StoreError.sqlite(path: path, operation: "open", code: rc, message: message)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    }

    deinit { close() }

    func close() {
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    private func db(_ operation: String) throws -> OpaquePointer {
        guard let handle else { throw StoreError.closed(path: path) }
        return handle
    }

    func error(_ operation: String, _ code: Int32) -> StoreError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        return .sqlite(path: path, operation: operation, code: code, message: message)
    }

    /// Runs one or more statements without parameters or results.
    func execute(_ sql: String, operation: String) throws {
        let db = try db(operation)
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
            sqlite3_free(errorMessage)
            throw StoreError.sqlite(path: path, operation: operation, code: rc, message: message)
        }
    }

    /// Runs one statement with parameters; returns its rows (each a list of column values).
    @discardableResult
    func query(_ sql: String, _ parameters: [SQLValue] = [], operation: String) throws -> [[SQLValue]] {
        var rows: [[SQLValue]] = []
        try forEachRow(sql, parameters, operation: operation) { rows.append($0) }
        return rows
    }

    /// Runs one statement, calling `body` for each row.
    func forEachRow(_ sql: String, _ parameters: [SQLValue], operation: String,
                    _ body: ([SQLValue]) throws -> Void) throws {
        let statement = try SQLiteStatement(self, sql, operation: operation)
        try statement.bind(parameters)
        while try statement.step() { try body(statement.row()) }
    }

    /// Rows changed by the last INSERT/UPDATE/DELETE on this connection.
    var changes: Int { handle.map { Int(sqlite3_changes($0)) } ?? 0 }

    /// The rowid of the last successful INSERT on this connection.
    var lastInsertRowID: Int64 { handle.map { sqlite3_last_insert_rowid($0) } ?? 0 }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back if it throws.
    func transaction<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE", operation: "\(operation) (begin)")
        do {
            let result = try body()
            try execute("COMMIT", operation: "\(operation) (commit)")
            return result
        } catch {
            try? execute("ROLLBACK", operation: "\(operation) (rollback)")
            throw error
        }
    }
}

extension SQLValue {
    var int: Int? {
        switch self {
        case .integer(let v): Int(v)
        case .real(let v): Int(exactly: v)
        case .text(let v): Int(v)
        case .blob, .null: nil
        }
    }

    var double: Double? {
        switch self {
        case .integer(let v): Double(v)
        case .real(let v): v
        case .text(let v): Double(v)
        case .blob, .null: nil
        }
    }

    var string: String? {
        switch self {
        case .text(let v): v
        case .integer(let v): String(v)
        case .real(let v): String(v)
        case .blob, .null: nil
        }
    }
}
