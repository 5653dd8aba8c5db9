import GRDB
import GRDBSQLite

/// Binding and stepping prepared statements through SQLite's C API, for the paths that run once per
/// record at bulk rates (a pull's contacts, an import's rows, a plan's scans), where GRDB's
/// `StatementArguments` and `Row` boxing cost more than SQLite's own work. Callers keep the GRDB
/// `Statement` alive while they use its handle.
enum RawSQL {
    /// SQLite copies bound text and blobs before `bind` returns.
    /// (Computed, not a stored static: a bind runs several times per row, and a static's
    /// lazy-initialisation check costs more than the cast.)
    static var transient: sqlite3_destructor_type {
        @inline(__always) get { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }
    }

    /// Binds text straight from the string's UTF-8; nil binds NULL (so a statement reused
    /// without clearing its bindings never keeps an earlier value).
    @inline(__always)
    static func bind(_ text: String?, at index: Int32, to handle: OpaquePointer?) {
        guard var text else {
            sqlite3_bind_null(handle, index)
            return
        }
        text.withUTF8 { bytes in
            _ = sqlite3_bind_text(
                handle, index, bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, Int32(bytes.count), transient)
        }
    }

    /// Binds part of a buffer's UTF-8 text without copying it (SQLITE_STATIC); nil binds NULL.
    /// The caller keeps the buffer unchanged until the statement has stepped, and rebinds or
    /// clears the parameter before the buffer changes or goes.
    @inline(__always)
    static func bind(unretained text: TextBuffer, _ span: Range<Int>?, at index: Int32, to handle: OpaquePointer?) {
        guard let span else {
            sqlite3_bind_null(handle, index)
            return
        }
        _ = sqlite3_bind_text(handle, index, UnsafeRawPointer(text.pointer + span.lowerBound).assumingMemoryBound(to: CChar.self), Int32(span.count), nil)
    }

    /// Binds part of a buffer as a blob without copying it (as `bind(unretained:_:at:to:)`); nil binds NULL.
    @inline(__always)
    static func bind(unretainedBlob bytes: TextBuffer, _ span: Range<Int>?, at index: Int32, to handle: OpaquePointer?) {
        guard let span else {
            sqlite3_bind_null(handle, index)
            return
        }
        _ = sqlite3_bind_blob(handle, index, UnsafeRawPointer(bytes.pointer + span.lowerBound), Int32(span.count), nil)
    }

    /// Binds a string literal's text without copying it (it lives as long as the program).
    @inline(__always)
    static func bind(static text: StaticString, at index: Int32, to handle: OpaquePointer?) {
        _ = sqlite3_bind_text(handle, index, UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self), Int32(text.utf8CodeUnitCount), nil)
    }

    @inline(__always)
    static func bind(blob: [UInt8], at index: Int32, to handle: OpaquePointer?) {
        blob.withUnsafeBytes { bytes in _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), transient) }
    }

    /// Steps a statement: true on a row, false when it is done; an SQLite error is thrown.
    @inline(__always)
    static func step(_ handle: OpaquePointer?, in db: Database) throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
    }

    /// Runs a statement that writes (returns no row).
    @inline(__always)
    static func execute(_ handle: OpaquePointer?, in db: Database) throws {
        _ = try step(handle, in: db)
    }
}
