// The device program's only heap use: aligned blocks taken once at start (the model file and the
// arena), never freed and never grown. Everything after start works inside these blocks.

extension Platform {
    /// One aligned block of `byteCount` bytes (zero-sized requests get a 1-byte block so the
    /// base address is never nil).
    static func allocateAligned(byteCount: Int, alignment: Int = platformBufferAlignment)
        throws(PlatformError) -> UnsafeMutableRawBufferPointer
    {
        guard byteCount >= 0, let base = libcAlignedAlloc(max(byteCount, 1), alignment: alignment) else {
            throw .outOfMemory(bytes: byteCount)
        }
        return UnsafeMutableRawBufferPointer(start: base, count: byteCount)
    }
}
