/// A parsed .npy header: what the data is and where it starts. Shape lives in fixed storage so the
/// device can parse headers without allocating.
public struct NPYHeader {
    /// Largest rank Sparrow accepts (model tensors are at most 4-D; calibration batches add one).
    public static let maxRank = 6

    public var dtype: NPYDType
    public var rank: Int
    /// Dimensions 0..<rank are meaningful; the rest are 0.
    public var shape: (Int, Int, Int, Int, Int, Int)
    /// Byte offset of the first element from the start of the file.
    public var dataOffset: Int
    /// Product of the dimensions (1 for a scalar, rank 0).
    public var elementCount: Int
    /// Format version major number found in the file (1, 2 or 3).
    public var majorVersion: UInt8

    public init(dtype: NPYDType, rank: Int, shape: (Int, Int, Int, Int, Int, Int),
                dataOffset: Int, elementCount: Int, majorVersion: UInt8) {
        self.dtype = dtype
        self.rank = rank
        self.shape = shape
        self.dataOffset = dataOffset
        self.elementCount = elementCount
        self.majorVersion = majorVersion
    }

    /// Dimension `axis` (0..<rank); 0 outside that range.
    public func dim(_ axis: Int) -> Int {
        guard axis >= 0, axis < rank else { return 0 }
        return dimOf(shape, axis)
    }

    /// Bytes of element data following the header. Cannot overflow: the parser checked it.
    public var dataByteCount: Int { elementCount * dtype.byteWidth }
}

extension NPYHeader: Equatable {
    public static func == (a: NPYHeader, b: NPYHeader) -> Bool {
        guard a.dtype == b.dtype, a.rank == b.rank, a.dataOffset == b.dataOffset,
              a.elementCount == b.elementCount, a.majorVersion == b.majorVersion else { return false }
        for axis in 0..<a.rank where a.dim(axis) != b.dim(axis) { return false }
        return true
    }
}

/// Element `axis` of a fixed-size shape tuple (a switch: raw-pointer stores into the tuple pull
/// allocating debug checks into the armv7 -no-allocations build).
@inline(__always)
func dimOf(_ shape: (Int, Int, Int, Int, Int, Int), _ axis: Int) -> Int {
    switch axis {
    case 0: return shape.0
    case 1: return shape.1
    case 2: return shape.2
    case 3: return shape.3
    case 4: return shape.4
    case 5: return shape.5
    default: return 0
    }
}

/// Stores `value` at `axis` (0..<6) of a fixed-size shape tuple.
@inline(__always)
func setDim(_ shape: inout (Int, Int, Int, Int, Int, Int), _ axis: Int, _ value: Int) {
    switch axis {
    case 0: shape.0 = value
    case 1: shape.1 = value
    case 2: shape.2 = value
    case 3: shape.3 = value
    case 4: shape.4 = value
    case 5: shape.5 = value
    default: break
    }
}
