import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file read in fixed-size chunks with read(2): the buffer both streaming readers scan, so
/// memory stays flat whatever the file's size. A UTF-16 file is refused with a sentence; a UTF-8
/// byte-order mark is skipped.
struct ChunkedFile {
    let path: String
    private let descriptor: Int32
    var buffer: [UInt8]
    /// The next unread byte in `buffer`, and how many bytes of it hold data.
    var position = 0
    var available = 0
    private(set) var atEOF = false
    private(set) var bytesRead: Int64 = 0
    private(set) var hadBOM = false
    private var closed = false

    init(url: URL, chunkSize: Int) throws {
        path = url.path
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else { throw ImportError.unreadable(url.path, String(cString: strerror(errno))) }
        self.descriptor = descriptor
        buffer = [UInt8](repeating: 0, count: max(chunkSize, 4096))
        try fill()
        if available >= 2, (buffer[0] == 0xFF && buffer[1] == 0xFE) || (buffer[0] == 0xFE && buffer[1] == 0xFF) {
            close()
            throw ImportError.unsupportedEncoding(url.path, "UTF-16")
        }
        if available >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF {
            hadBOM = true
            position = 3
        }
    }

    /// Reads the next chunk into `buffer` (from its start); at the end `atEOF` is set.
    mutating func fill() throws {
        guard !atEOF else { return }
        let count = buffer.withUnsafeMutableBytes { raw in read(descriptor, raw.baseAddress, raw.count) }
        if count < 0 { throw ImportError.unreadable(path, String(cString: strerror(errno))) }
        if count == 0 { atEOF = true }
        available = count
        position = 0
        bytesRead += Int64(count)
    }

    mutating func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(descriptor)
    }
}
