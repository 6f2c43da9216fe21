// Whole-file input and output for the device program. A model or tensor file is read once into
// one aligned buffer and then used in place (the runtime reads the model zero-copy).

/// What went wrong with a file, with the C errno where libc reported one.
enum PlatformError: Error {
    case openFailed(errno: Int32)
    /// The file could not be created or opened for writing (missing directory, no permission).
    case createFailed(errno: Int32)
    case sizeUnavailable(errno: Int32)
    /// The file changed size or ended early: `expected` bytes were wanted, `got` arrived.
    case shortRead(expected: Int, got: Int)
    case shortWrite(expected: Int, got: Int)
    case outOfMemory(bytes: Int)
    /// The caller's buffer is smaller than the file.
    case bufferTooSmall(needed: Int, available: Int)

    /// A one-line description without String interpolation (Embedded-friendly).
    var summary: StaticString {
        switch self {
        case .openFailed: return "cannot open file"
        case .createFailed: return "cannot create or write file"
        case .sizeUnavailable: return "cannot determine file size"
        case .shortRead: return "file ended before its reported size"
        case .shortWrite: return "could not write the whole file"
        case .outOfMemory: return "out of memory"
        case .bufferTooSmall: return "buffer too small for file"
        }
    }
}

/// Alignment of every buffer Platform hands out: enough for any int8/int32 view and a cache line.
let platformBufferAlignment = 64

enum Platform {
    /// Size in bytes of the file at `path`.
    static func fileSize(path: UnsafePointer<CChar>) throws(PlatformError) -> Int {
        guard let file = libcOpen(path, "rb") else { throw .openFailed(errno: libcErrno()) }
        defer { _ = libcClose(file) }
        return try size(of: file)
    }

    /// Reads the whole file at `path` into `buffer` (which must be at least the file's size) and
    /// returns the number of bytes read. Lets the caller place a file inside memory it owns.
    static func readFile(path: UnsafePointer<CChar>, into buffer: UnsafeMutableRawBufferPointer)
        throws(PlatformError) -> Int
    {
        guard let file = libcOpen(path, "rb") else { throw .openFailed(errno: libcErrno()) }
        defer { _ = libcClose(file) }
        let byteCount = try size(of: file)
        guard byteCount <= buffer.count else { throw .bufferTooSmall(needed: byteCount, available: buffer.count) }
        guard byteCount > 0, let base = buffer.baseAddress else { return 0 }
        let got = libcRead(base, byteCount, file)
        guard got == byteCount else { throw .shortRead(expected: byteCount, got: got) }
        return byteCount
    }

    /// Reads the whole file at `path` into one new buffer aligned to `platformBufferAlignment`.
    /// The buffer lives until the process exits (the device program never frees).
    static func readWholeFile(path: UnsafePointer<CChar>) throws(PlatformError) -> UnsafeMutableRawBufferPointer {
        let byteCount = try fileSize(path: path)
        let buffer = try allocateAligned(byteCount: byteCount)
        let got = try readFile(path: path, into: buffer)
        guard got == byteCount else { throw .shortRead(expected: byteCount, got: got) }
        return buffer
    }

    /// Creates or truncates the file at `path` and writes `bytes` to it.
    static func writeFile(path: UnsafePointer<CChar>, bytes: UnsafeRawBufferPointer) throws(PlatformError) {
        guard let file = libcOpen(path, "wb") else { throw .createFailed(errno: libcErrno()) }
        var written = 0
        if let base = bytes.baseAddress, bytes.count > 0 { written = libcWrite(base, bytes.count, file) }
        // fclose flushes; a failure there is a failed write too (e.g. disk full).
        let closed = libcClose(file)
        guard written == bytes.count, closed == 0 else { throw .shortWrite(expected: bytes.count, got: written) }
    }

    /// Throws if the file at `path` cannot be opened for writing; creates it (empty) if missing
    /// but leaves an existing file's contents alone ("ab").
    static func checkWritable(path: UnsafePointer<CChar>) throws(PlatformError) {
        guard let file = libcOpen(path, "ab") else { throw .createFailed(errno: libcErrno()) }
        _ = libcClose(file)
    }

    private static func size(of file: OpaquePointer) throws(PlatformError) -> Int {
        guard libcSeek(file, 0, libcSeekEnd) == 0 else { throw .sizeUnavailable(errno: libcErrno()) }
        let end = libcTell(file)
        guard end >= 0, libcSeek(file, 0, libcSeekSet) == 0 else { throw .sizeUnavailable(errno: libcErrno()) }
        return end
    }
}
