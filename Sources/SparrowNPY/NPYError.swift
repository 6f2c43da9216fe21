/// Why a .npy buffer was rejected, where, and the value involved. Allocation-free so the device can
/// report it; the host adds the file name and the offending text (see `NPYError.description`).
/// `value`/`bound` are `Int`, not `Int64`: on armv7 Embedded Swift with -no-allocations, widening
/// to a 64-bit integer pulls in the allocating generic conversion path and fails to compile.
public struct NPYError: Error, Equatable, Sendable {
    public enum Kind: UInt8, Sendable {
        case tooShort
        case badMagic
        case unsupportedVersion
        case headerTruncated
        case malformedHeader
        case unknownKey
        case duplicateKey
        case missingKey
        case structuredDType
        case unsupportedDType
        case bigEndianDType
        case fortranOrder
        case rankTooLarge
        case badDimension
        case sizeOverflow
        case dataTruncated
    }

    public var kind: Kind
    /// Byte offset in the buffer where the problem was found.
    public var offset: Int
    /// The offending value (version number, dimension, bytes needed, ...), or 0 when there is none.
    public var value: Int
    /// The limit `value` broke (bytes available, maximum rank, ...), or 0 when there is none.
    public var bound: Int

    public init(_ kind: Kind, offset: Int, value: Int = 0, bound: Int = 0) {
        self.kind = kind
        self.offset = offset
        self.value = value
        self.bound = bound
    }

    /// What went wrong and what to do about it.
    public var reason: StaticString {
        switch kind {
        case .tooShort:
            return "file too short for an .npy preamble (magic, version, header length)"
        case .badMagic:
            return "not an .npy file: magic bytes \\x93NUMPY missing (was it written with np.save?)"
        case .unsupportedVersion:
            return "unsupported .npy format version (value = major*256+minor); versions 1.0, 2.0 and 3.0 are supported"
        case .headerTruncated:
            return "header runs past the end of the file (value = header length, bound = bytes after the preamble)"
        case .malformedHeader:
            return "header is not the dict numpy writes ({'descr': ..., 'fortran_order': ..., 'shape': (...), })"
        case .unknownKey:
            return "header has a key other than 'descr', 'fortran_order' and 'shape'"
        case .duplicateKey:
            return "header repeats a key"
        case .missingKey:
            return "header lacks one of 'descr', 'fortran_order', 'shape'"
        case .structuredDType:
            return "structured (record) dtypes are not supported: save a plain numeric array"
        case .unsupportedDType:
            return "dtype not supported: use float32 '<f4', int64 '<i8', int32 '<i4', int8 '|i1' or uint8 '|u1' (arr.astype(np.float32))"
        case .bigEndianDType:
            return "big-endian dtype (e.g. '>f4') not supported: save arr.astype(arr.dtype.newbyteorder('<'))"
        case .fortranOrder:
            return "fortran_order True is not supported: write the array with np.ascontiguousarray"
        case .rankTooLarge:
            return "array rank exceeds the maximum of 6 (value = rank)"
        case .badDimension:
            return "shape entry is not a non-negative integer that fits in Int"
        case .sizeOverflow:
            return "element count or byte size overflows Int"
        case .dataTruncated:
            return "data truncated: need value bytes, have bound"
        }
    }
}
