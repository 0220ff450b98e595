import CSQLite

/// SQLite's "copy the bound buffer now" destructor marker.
private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One prepared statement, reused across executions (bind → step … → reset). Owned by one connection
/// and used on its thread only. Errors name the connection's file and the operation.
final class SQLiteStatement {
    private let connection: SQLiteConnection
    private let operation: String
    private(set) var handle: OpaquePointer?

    init(_ connection: SQLiteConnection, _ sql: String, operation: String) throws {
        self.connection = connection
        self.operation = operation
        guard let db = connection.handle else { throw StoreError.closed(path: connection.path) }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw connection.error(operation, rc) }
        handle = statement
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds the parameters (1-based positions in order) after resetting the statement.
    func bind(_ values: [SQLValue]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .integer(let v): rc = sqlite3_bind_int64(handle, index, v)
            case .real(let v): rc = sqlite3_bind_double(handle, index, v)
            case .text(let v): rc = sqlite3_bind_text(handle, index, v, -1, transientDestructor)
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes { raw in
                    sqlite3_bind_blob(handle, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                                      Int32(bytes.count), transientDestructor)
                }
            case .null: rc = sqlite3_bind_null(handle, index)
            }
            guard rc == SQLITE_OK else { throw connection.error(operation, rc) }
        }
    }

    /// Steps once: true when a row is available, false when done.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let error = connection.error(operation, rc)
        sqlite3_reset(handle)
        throw error
    }

    /// Binds and runs a statement that returns no rows.
    func run(_ values: [SQLValue]) throws {
        try bind(values)
        while try step() {}
        sqlite3_reset(handle)
    }

    func reset() { sqlite3_reset(handle) }

    var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// The value of a column of the current row.
    func value(_ column: Int) -> SQLValue {
        let c = Int32(column)
        switch sqlite3_column_type(handle, c) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, c))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, c))
        case SQLITE_NULL: return .null
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, c))
            guard count > 0, let pointer = sqlite3_column_blob(handle, c) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default:
            guard let text = sqlite3_column_text(handle, c) else { return .null }
            return .text(String(cString: text))
        }
    }

    /// The current row's values.
    func row() -> [SQLValue] { (0..<columnCount).map(value) }

    /// A column of the current row when it holds an integer, else nil (no array or enum built: for scans
    /// of many rows).
    func integer(_ column: Int) -> Int64? {
        let c = Int32(column)
        return sqlite3_column_type(handle, c) == SQLITE_INTEGER ? sqlite3_column_int64(handle, c) : nil
    }
}
