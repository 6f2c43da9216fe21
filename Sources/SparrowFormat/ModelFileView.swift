// A zero-copy view of a model file's bytes. It only locates things; it does not check them.
// SparrowRuntime's verifier checks every offset and size with the `isInBounds` helpers before
// anything is read through the unchecked accessors.

public struct SectionRange: Equatable {
    public var offset: Int
    public var size: Int
    public init(offset: Int, size: Int) { self.offset = offset; self.size = size }
}

public struct ModelFileView {
    public let bytes: UnsafeRawBufferPointer

    public init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public var count: Int { bytes.count }

    /// Reads a little-endian field, or nil when it would not fit in the buffer.
    public func readU16(_ o: Int) -> UInt16? { fits(o, 2) ? loadLE(bytes.baseAddress!, o, as: UInt16.self) : nil }
    public func readU32(_ o: Int) -> UInt32? { fits(o, 4) ? loadLE(bytes.baseAddress!, o, as: UInt32.self) : nil }
    public func readI32(_ o: Int) -> Int32? { fits(o, 4) ? loadLE(bytes.baseAddress!, o, as: Int32.self) : nil }
    public func readU64(_ o: Int) -> UInt64? { fits(o, 8) ? loadLE(bytes.baseAddress!, o, as: UInt64.self) : nil }

    @inline(__always)
    func fits(_ offset: Int, _ size: Int) -> Bool {
        bytes.baseAddress != nil && offset >= 0 && offset <= bytes.count - size
    }

    // MARK: Header fields (valid once the header size is checked)

    public var versionMajor: UInt16 { readU16(HeaderField.versionMajor) ?? 0 }
    public var versionMinor: UInt16 { readU16(HeaderField.versionMinor) ?? 0 }
    public var headerSize: UInt32 { readU32(HeaderField.headerSize) ?? 0 }
    public var fileSize: UInt32 { readU32(HeaderField.fileSize) ?? 0 }
    public var checksum: UInt32 { readU32(HeaderField.checksum) ?? 0 }
    public var flags: UInt32 { readU32(HeaderField.flags) ?? 0 }
    public var arenaSize: UInt32 { readU32(HeaderField.arenaSize) ?? 0 }
    public var sectionCount: UInt32 { readU32(HeaderField.sectionCount) ?? 0 }
    public var totalMacs: UInt64 { readU64(HeaderField.totalMacs) ?? 0 }

    public var hasMagic: Bool {
        guard bytes.count >= 4 else { return false }
        let m = ModelFormat.magic
        return bytes[0] == m.0 && bytes[1] == m.1 && bytes[2] == m.2 && bytes[3] == m.3
    }

    /// The section's entry in the header's section table (unchecked against the file size).
    public func sectionRange(_ s: Section) -> SectionRange {
        let entry = HeaderField.sectionTable + Int(s.rawValue) * 8
        return SectionRange(offset: Int(readU32(entry) ?? 0),
                            size: Int(readU32(entry + 4) ?? 0))
    }

    /// The checksum of the whole buffer (requires count >= headerSize).
    public func computeChecksum() -> UInt32 { modelChecksum(bytes) }
}
