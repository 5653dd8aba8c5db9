import CZlib
import Foundation

/// Why a gzip stream could not be read or written.
public enum GzipError: Error, Equatable {
    case corrupt(String)
    case truncated
    case zlib(Int32)
}

/// Writes a gzip file through zlib, streaming: bytes in, compressed chunks out.
///
/// Not `Sendable`: a `z_stream` holds pointers into itself; each writer lives in one scope.
public final class GzipWriter {
    private var stream = z_stream()
    private let handle: FileHandle
    private var output = [UInt8](repeating: 0, count: 1 << 16)
    private var finished = false

    /// Creates (truncating) `url`.
    public init(url: URL, level: Int32 = 6) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        // windowBits 15 + 16: a gzip header and trailer rather than a raw zlib stream.
        let code = czlib_deflateInit2(&stream, level, 15 + 16)
        guard code == Z_OK else { throw GzipError.zlib(code) }
    }

    deinit {
        if !finished { deflateEnd(&stream) }
        try? handle.close()
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBufferPointer { input in try pump(input, flush: Z_NO_FLUSH) }
    }

    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { input in try pump(input, flush: Z_NO_FLUSH) }
    }

    /// Ends the stream and closes the file.
    public func finish() throws {
        guard !finished else { return }
        try pump(UnsafeBufferPointer(start: nil, count: 0), flush: Z_FINISH)
        deflateEnd(&stream)
        finished = true
        try handle.synchronize()
        try handle.close()
    }

    private func pump(_ input: UnsafeBufferPointer<UInt8>, flush: Int32) throws {
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        stream.avail_in = uInt(input.count)
        while true {
            let (code, produced) = output.withUnsafeMutableBufferPointer { buffer -> (Int32, Int) in
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                let code = deflate(&stream, flush)
                return (code, buffer.count - Int(stream.avail_out))
            }
            guard code == Z_OK || code == Z_STREAM_END || code == Z_BUF_ERROR else { throw GzipError.zlib(code) }
            if produced > 0 { try handle.write(contentsOf: output[0..<produced]) }
            if flush == Z_FINISH {
                if code == Z_STREAM_END { return }
            } else if stream.avail_in == 0 && produced < output.count {
                return
            }
        }
    }
}

/// Reads a gzip file through zlib, streaming, as lines.
public final class GzipLineReader {
    private var stream = z_stream()
    private let handle: FileHandle
    private var input = Data()
    private var output = [UInt8](repeating: 0, count: 1 << 16)
    private var pending: [UInt8] = []
    private var ended = false
    private var inputDone = false

    public init(url: URL) throws {
        handle = try FileHandle(forReadingFrom: url)
        let code = czlib_inflateInit2(&stream, 15 + 32)  // gzip or zlib header, detected
        guard code == Z_OK else { throw GzipError.zlib(code) }
    }

    deinit {
        inflateEnd(&stream)
        try? handle.close()
    }

    /// The next line without its `\n`, or nil at the end. Throws `truncated` when the file ends
    /// before the gzip stream does, `corrupt` when the bytes are not gzip.
    public func nextLine() throws -> [UInt8]? {
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                return line
            }
            if ended {
                if pending.isEmpty { return nil }
                defer { pending.removeAll() }
                return pending
            }
            try inflateMore()
        }
    }

    private func inflateMore() throws {
        if stream.avail_in == 0 {
            guard !inputDone else { throw GzipError.truncated }
            let chunk = try handle.read(upToCount: 1 << 16) ?? Data()
            if chunk.isEmpty {
                inputDone = true
                throw GzipError.truncated
            }
            input = chunk
        }
        // `input` is not mutated while zlib holds a pointer into it, but the pointer is
        // re-derived on every call: it is only valid inside `withUnsafeBytes`.
        let remaining = Int(stream.avail_in)
        try input.withUnsafeBytes { raw in
            let base = raw.bindMemory(to: UInt8.self).baseAddress
            let offset = remaining == 0 ? 0 : raw.count - remaining
            stream.next_in = UnsafeMutablePointer(mutating: base.map { $0 + offset })
            stream.avail_in = uInt(raw.count - offset)
            let (code, produced) = output.withUnsafeMutableBufferPointer { buffer -> (Int32, Int) in
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                let code = inflate(&stream, Z_NO_FLUSH)
                return (code, buffer.count - Int(stream.avail_out))
            }
            pending.append(contentsOf: output[0..<produced])
            switch code {
            case Z_STREAM_END: ended = true
            case Z_OK, Z_BUF_ERROR: break
            case Z_DATA_ERROR: throw GzipError.corrupt(stream.msg.map { String(cString: $0) } ?? "invalid compressed data")
            default: throw GzipError.zlib(code)
            }
        }
    }
}

/// A piece of a gzip stream compressed on its own, side by side with the others, as pigz does:
/// a raw deflate stream ended by a sync flush (byte-aligned, not final) or, for the last piece,
/// by the stream's end; with the CRC-32 and length of what it holds. Pieces of a megabyte lose
/// next to nothing against one stream (each starts without the 32 KiB window before it).
public struct DeflatedPiece: Sendable {
    var bytes: [UInt8] = []
    var crc: UInt
    var count: Int
    /// It ends the stream.
    var last: Bool

    public init(_ input: [UInt8], level: Int32, last: Bool) throws {
        self.last = last
        count = input.count
        crc = input.withUnsafeBufferPointer { UInt(crc32_z(0, $0.baseAddress, $0.count)) }
        var stream = z_stream()
        // windowBits -15: raw deflate, no header or trailer of its own.
        let code = czlib_deflateInit2(&stream, level, -15)
        guard code == Z_OK else { throw GzipError.zlib(code) }
        defer { deflateEnd(&stream) }
        // Room for the worst case, not filled in first: a megabyte of lines compresses to a tenth
        // of that, and zeroing the whole bound was wasted work (67 MB of it for a nightly plan's
        // 9.6 MB of lines).
        let bound = Int(deflateBound(&stream, uLong(input.count))) + 64
        bytes = try input.withUnsafeBufferPointer { source in
            try [UInt8](unsafeUninitializedCapacity: bound) { target, produced in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                let result = deflate(&stream, last ? Z_FINISH : Z_SYNC_FLUSH)
                produced = target.count - Int(stream.avail_out)
                guard result == (last ? Z_STREAM_END : Z_OK), stream.avail_in == 0 else { throw GzipError.zlib(result) }
            }
        }
    }
}

/// Writes a gzip file from pieces compressed elsewhere (`DeflatedPiece`), in order: one gzip
/// member whose CRC-32 and length are those of all the pieces together.
public final class GzipPieceWriter {
    private let handle: FileHandle
    private var crc = UInt(crc32_z(0, nil, 0))
    private var length = 0
    private var ended = false

    /// Creates (truncating) `url` and writes the gzip header.
    public init(url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        // Magic, deflate, no flags, no time, no extra flags, OS unknown.
        try handle.write(contentsOf: [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF])
    }

    deinit { try? handle.close() }

    /// Appends a piece that does not end the stream.
    public func append(_ piece: DeflatedPiece) throws {
        guard !piece.last, !ended else { throw GzipError.zlib(Z_STREAM_ERROR) }
        try write(piece)
    }

    private func write(_ piece: DeflatedPiece) throws {
        try handle.write(contentsOf: piece.bytes)
        crc = UInt(crc32_combine(uLong(crc), uLong(piece.crc), .init(piece.count)))
        length += piece.count
    }

    /// Writes the last piece (made with `last`) and the gzip trailer, flushes the file to disk and closes it.
    public func finish(with last: DeflatedPiece) throws {
        guard last.last, !ended else { throw GzipError.zlib(Z_STREAM_ERROR) }
        try write(last)
        ended = true
        var trailer: [UInt8] = []
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: crc).littleEndian) { trailer += $0 }
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: length).littleEndian) { trailer += $0 }
        try handle.write(contentsOf: trailer)
        try handle.synchronize()
        try handle.close()
    }
}
