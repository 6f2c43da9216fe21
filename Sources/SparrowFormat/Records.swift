// Fixed-size records of the tensor, operator and exit tables, decoded from little-endian bytes.
// Decoding never trusts the values: the verifier checks every field before use.

/// Little-endian loads and stores at a byte offset; callers have checked the bounds.
/// Concrete overloads on purpose: the generic `T(littleEndian:)` path for 64-bit integers
/// allocates on 32-bit Embedded targets (found under -no-allocations), and so does widening
/// UInt32 → UInt64; the 64-bit value is assembled from its little-endian halves instead.
@inline(__always) func loadLE(_ b: UnsafeRawPointer, _ o: Int, as: UInt16.Type) -> UInt16 { UInt16(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt16.self)) }
@inline(__always) func loadLE(_ b: UnsafeRawPointer, _ o: Int, as: UInt32.Type) -> UInt32 { UInt32(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
@inline(__always) func loadLE(_ b: UnsafeRawPointer, _ o: Int, as: Int32.Type) -> Int32 { Int32(littleEndian: b.loadUnaligned(fromByteOffset: o, as: Int32.self)) }
@inline(__always) func loadLE(_ b: UnsafeRawPointer, _ o: Int, as: UInt64.Type) -> UInt64 {
    unsafeBitCast((loadLE(b, o, as: UInt32.self), loadLE(b, o + 4, as: UInt32.self)), to: UInt64.self)
}
@inline(__always) func storeLE(_ b: UnsafeMutableRawPointer, _ o: Int, _ v: UInt16) { b.storeBytes(of: v.littleEndian, toByteOffset: o, as: UInt16.self) }
@inline(__always) func storeLE(_ b: UnsafeMutableRawPointer, _ o: Int, _ v: UInt32) { b.storeBytes(of: v.littleEndian, toByteOffset: o, as: UInt32.self) }
@inline(__always) func storeLE(_ b: UnsafeMutableRawPointer, _ o: Int, _ v: Int32) { b.storeBytes(of: v.littleEndian, toByteOffset: o, as: Int32.self) }
@inline(__always) func storeLE(_ b: UnsafeMutableRawPointer, _ o: Int, _ v: UInt64) {
    storeLE(b, o, UInt32(truncatingIfNeeded: v)); storeLE(b, o + 4, UInt32(truncatingIfNeeded: v &>> 32))
}

/// One tensor: 56 bytes. `liveFrom`/`liveTo` are the memory plan's lifetime claim for arena
/// tensors (the verifier checks the claim covers every use, then checks overlap against it).
public struct TensorRecord: Equatable {
    public static let size = 56

    public var dtypeCode: UInt8
    public var rank: UInt8
    public var storageCode: UInt8
    public var quantCode: UInt8
    /// Unused trailing dims are 1.
    public var dims: (Int32, Int32, Int32, Int32)
    public var zeroPoint: Int32
    /// Per-tensor scale (0 when per-channel or unquantized float).
    public var scale: Float
    /// Arena byte offset, constants byte offset, or base tensor index, depending on storage.
    public var location: UInt32
    public var byteSize: UInt32
    public var nameOffset: UInt32
    public var nameLength: UInt16
    /// Axis of per-channel quantization (0...3).
    public var quantAxis: UInt8
    /// Constants byte offset of Float32[dims[quantAxis]] per-channel scales, or ModelFormat.none.
    public var channelScalesOffset: UInt32
    /// Index of the op that writes the tensor (-1: graph input or constant).
    public var liveFrom: Int32
    /// Index of the last op that reads it (operator count: graph output, alive to the end).
    public var liveTo: Int32

    public init(dtype: DType, dims: (Int32, Int32, Int32, Int32), rank: Int, storage: Storage, location: UInt32,
                byteSize: UInt32, quant: QuantKind = .none, zeroPoint: Int32 = 0, scale: Float = 0,
                quantAxis: UInt8 = 0, channelScalesOffset: UInt32 = ModelFormat.none,
                nameOffset: UInt32 = 0, nameLength: UInt16 = 0, liveFrom: Int32 = -1, liveTo: Int32 = -1) {
        self.dtypeCode = dtype.rawValue
        self.rank = UInt8(truncatingIfNeeded: rank)
        self.storageCode = storage.rawValue
        self.quantCode = quant.rawValue
        self.dims = dims
        self.zeroPoint = zeroPoint
        self.scale = scale
        self.location = location
        self.byteSize = byteSize
        self.nameOffset = nameOffset
        self.nameLength = nameLength
        self.quantAxis = quantAxis
        self.channelScalesOffset = channelScalesOffset
        self.liveFrom = liveFrom
        self.liveTo = liveTo
    }

    public init(decodingFrom p: UnsafeRawPointer) {
        dtypeCode = p.load(fromByteOffset: 0, as: UInt8.self)
        rank = p.load(fromByteOffset: 1, as: UInt8.self)
        storageCode = p.load(fromByteOffset: 2, as: UInt8.self)
        quantCode = p.load(fromByteOffset: 3, as: UInt8.self)
        dims = (loadLE(p, 4, as: Int32.self), loadLE(p, 8, as: Int32.self),
                loadLE(p, 12, as: Int32.self), loadLE(p, 16, as: Int32.self))
        zeroPoint = loadLE(p, 20, as: Int32.self)
        scale = Float(bitPattern: loadLE(p, 24, as: UInt32.self))
        location = loadLE(p, 28, as: UInt32.self)
        byteSize = loadLE(p, 32, as: UInt32.self)
        nameOffset = loadLE(p, 36, as: UInt32.self)
        nameLength = loadLE(p, 40, as: UInt16.self)
        quantAxis = p.load(fromByteOffset: 42, as: UInt8.self)
        channelScalesOffset = loadLE(p, 44, as: UInt32.self)
        liveFrom = loadLE(p, 48, as: Int32.self)
        liveTo = loadLE(p, 52, as: Int32.self)
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        p.storeBytes(of: dtypeCode, toByteOffset: 0, as: UInt8.self)
        p.storeBytes(of: rank, toByteOffset: 1, as: UInt8.self)
        p.storeBytes(of: storageCode, toByteOffset: 2, as: UInt8.self)
        p.storeBytes(of: quantCode, toByteOffset: 3, as: UInt8.self)
        storeLE(p, 4, dims.0); storeLE(p, 8, dims.1); storeLE(p, 12, dims.2); storeLE(p, 16, dims.3)
        storeLE(p, 20, zeroPoint)
        storeLE(p, 24, scale.bitPattern)
        storeLE(p, 28, location)
        storeLE(p, 32, byteSize)
        storeLE(p, 36, nameOffset)
        storeLE(p, 40, nameLength)
        p.storeBytes(of: quantAxis, toByteOffset: 42, as: UInt8.self)
        p.storeBytes(of: UInt8(0), toByteOffset: 43, as: UInt8.self)
        storeLE(p, 44, channelScalesOffset)
        storeLE(p, 48, liveFrom)
        storeLE(p, 52, liveTo)
    }

    public var dtype: DType? { DType(rawValue: dtypeCode) }
    public var storage: Storage? { Storage(rawValue: storageCode) }
    public var quant: QuantKind? { QuantKind(rawValue: quantCode) }

    /// Dimension `i` (0...3) of the stored rank-4-padded shape.
    public func dim(_ i: Int) -> Int32 {
        switch i {
        case 0: return dims.0
        case 1: return dims.1
        case 2: return dims.2
        default: return dims.3
        }
    }

    public static func == (a: TensorRecord, b: TensorRecord) -> Bool {
        a.dtypeCode == b.dtypeCode && a.rank == b.rank && a.storageCode == b.storageCode
            && a.quantCode == b.quantCode && a.dims == b.dims && a.zeroPoint == b.zeroPoint
            && a.scale.bitPattern == b.scale.bitPattern && a.location == b.location && a.byteSize == b.byteSize
            && a.nameOffset == b.nameOffset && a.nameLength == b.nameLength && a.quantAxis == b.quantAxis
            && a.channelScalesOffset == b.channelScalesOffset && a.liveFrom == b.liveFrom && a.liveTo == b.liveTo
    }
}

/// One operator: 32 bytes. Its tensor indices are `inputCount` inputs followed by `outputCount`
/// outputs, starting at `indicesStart` in the indices section.
public struct OperatorRecord: Equatable {
    public static let size = 32

    public var opcodeRaw: UInt8
    public var inputCount: UInt16
    public var outputCount: UInt16
    public var paramCount: UInt16
    public var indicesStart: UInt32
    public var paramsStart: UInt32
    /// Multiply-accumulates this op performs (for exit accounting and reports).
    public var macs: UInt64
    public var nameOffset: UInt32
    public var nameLength: UInt32

    public init(opcode: OpCode, inputCount: Int, outputCount: Int, paramCount: Int, indicesStart: UInt32,
                paramsStart: UInt32, macs: UInt64, nameOffset: UInt32 = 0, nameLength: UInt32 = 0) {
        self.opcodeRaw = opcode.rawValue
        self.inputCount = UInt16(truncatingIfNeeded: inputCount)
        self.outputCount = UInt16(truncatingIfNeeded: outputCount)
        self.paramCount = UInt16(truncatingIfNeeded: paramCount)
        self.indicesStart = indicesStart
        self.paramsStart = paramsStart
        self.macs = macs
        self.nameOffset = nameOffset
        self.nameLength = nameLength
    }

    public init(decodingFrom p: UnsafeRawPointer) {
        opcodeRaw = p.load(fromByteOffset: 0, as: UInt8.self)
        inputCount = loadLE(p, 2, as: UInt16.self)
        outputCount = loadLE(p, 4, as: UInt16.self)
        paramCount = loadLE(p, 6, as: UInt16.self)
        indicesStart = loadLE(p, 8, as: UInt32.self)
        paramsStart = loadLE(p, 12, as: UInt32.self)
        macs = loadLE(p, 16, as: UInt64.self)
        nameOffset = loadLE(p, 24, as: UInt32.self)
        nameLength = loadLE(p, 28, as: UInt32.self)
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        p.storeBytes(of: opcodeRaw, toByteOffset: 0, as: UInt8.self)
        p.storeBytes(of: UInt8(0), toByteOffset: 1, as: UInt8.self)
        storeLE(p, 2, inputCount)
        storeLE(p, 4, outputCount)
        storeLE(p, 6, paramCount)
        storeLE(p, 8, indicesStart)
        storeLE(p, 12, paramsStart)
        storeLE(p, 16, macs)
        storeLE(p, 24, nameOffset)
        storeLE(p, 28, nameLength)
    }

    public var opcode: OpCode? { OpCode(rawValue: opcodeRaw) }
}

/// One early-exit checkpoint: 32 bytes. The exit is tested once operators 0...afterOp have run.
public struct ExitRecord: Equatable {
    public static let size = 32

    /// Tensor holding the exit's int8 logits.
    public var tensor: UInt32
    public var afterOp: UInt32
    public var criterionRaw: UInt8
    /// Criterion-specific fixed-point threshold (Docs/early-exit.md).
    public var threshold: Int32
    /// MACs executed when this exit is taken (all ops up to afterOp).
    public var macsToHere: UInt64
    /// Index of the graph output this exit corresponds to.
    public var outputIndex: UInt32
    /// Constant int32 [2, 256] tensor of the criterion's fixed-point tables (Docs/early-exit.md);
    /// ModelFormat.none (or 0, as older writers left it) for the final exit, which ignores it.
    public var table: UInt32

    public init(tensor: UInt32, afterOp: UInt32, criterion: ExitCriterion, threshold: Int32,
                macsToHere: UInt64, outputIndex: UInt32, table: UInt32 = ModelFormat.none) {
        self.tensor = tensor
        self.afterOp = afterOp
        self.criterionRaw = criterion.rawValue
        self.threshold = threshold
        self.macsToHere = macsToHere
        self.outputIndex = outputIndex
        self.table = table
    }

    public init(decodingFrom p: UnsafeRawPointer) {
        tensor = loadLE(p, 0, as: UInt32.self)
        afterOp = loadLE(p, 4, as: UInt32.self)
        criterionRaw = p.load(fromByteOffset: 8, as: UInt8.self)
        threshold = loadLE(p, 12, as: Int32.self)
        macsToHere = loadLE(p, 16, as: UInt64.self)
        outputIndex = loadLE(p, 24, as: UInt32.self)
        table = loadLE(p, 28, as: UInt32.self)
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeLE(p, 0, tensor)
        storeLE(p, 4, afterOp)
        p.storeBytes(of: criterionRaw, toByteOffset: 8, as: UInt8.self)
        for i in 9..<12 { p.storeBytes(of: UInt8(0), toByteOffset: i, as: UInt8.self) }
        storeLE(p, 12, threshold)
        storeLE(p, 16, macsToHere)
        storeLE(p, 24, outputIndex)
        storeLE(p, 28, table)
    }

    public var criterion: ExitCriterion? { ExitCriterion(rawValue: criterionRaw) }
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF) — the
/// same checksum as zlib's crc32, so files can be checked with standard tools.
public func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    ~crc32Update(0xFFFF_FFFF, bytes)
}

/// Continues a CRC-32 over more bytes (state before the final XOR).
public func crc32Update(_ state: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var crc = state
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 {
            // Branch-free: subtract the low bit to get an all-ones or all-zeros mask.
            crc = (crc &>> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1)))
        }
    }
    return crc
}

/// The model checksum: CRC-32 of the whole file except the 4-byte checksum field itself,
/// i.e. of bytes [0, 16) followed by bytes [20, end).
public func modelChecksum(_ file: UnsafeRawBufferPointer) -> UInt32 {
    let head = UnsafeRawBufferPointer(rebasing: file[0..<HeaderField.checksum])
    let tail = UnsafeRawBufferPointer(rebasing: file[(HeaderField.checksum + 4)...])
    return ~crc32Update(crc32Update(0xFFFF_FFFF, head), tail)
}
