// The Sparrow model file: constants shared by the host writer and the device reader.
// Docs/format.md is the normative description; keep the two in step.

/// File-level constants of format version 1.
public enum ModelFormat {
    /// "SPRW" as the first four bytes of the file.
    public static let magic: (UInt8, UInt8, UInt8, UInt8) = (0x53, 0x50, 0x52, 0x57)
    public static let versionMajor: UInt16 = 1
    /// 1: block-sparse weights (sparse section, opcodes 18 and 19). 2: PRelu (opcode 20).
    /// 3: Resize (opcode 21) and the operators after it in the 21...39 block; Maximum and Minimum
    /// (opcodes 40 and 41, imported TFLite models); PackedGemm
    /// (opcode 50, packed-weight GEMM microkernels), PackedDepthwise3x3 and PackedConvIm2col
    /// (opcodes 51 and 52, the depthwise and im2col microkernels).
    public static let versionMinor: UInt16 = 3

    /// The lowest minor version whose opcodes include `opcode`; the writer stamps the highest
    /// over a file's operators, so a file without new operators keeps its older version (and bytes).
    public static func minorVersion(introducing opcode: OpCode) -> UInt16 {
        if opcode.rawValue >= OpCode.resize.rawValue { return 3 }
        return opcode.rawValue >= OpCode.prelu.rawValue ? 2 : 1
    }
    public static let headerSize = 128
    /// Every section starts at a multiple of this, so weights can be used in place.
    public static let sectionAlignment = 16
    /// Sentinel for "no index / no offset" in 32-bit fields.
    public static let none: UInt32 = 0xFFFF_FFFF
    /// Largest file the reader accepts (offsets are 32-bit).
    public static let maxFileSize = Int(Int32.max)
}

/// Byte offsets of the header fields.
public enum HeaderField {
    public static let magic = 0
    public static let versionMajor = 4
    public static let versionMinor = 6
    public static let headerSize = 8
    public static let fileSize = 12
    public static let checksum = 16
    public static let flags = 20
    public static let arenaSize = 24
    public static let sectionCount = 28
    /// `Section.count` entries of (offset: UInt32, size: UInt32).
    public static let sectionTable = 32
    public static let totalMacs = 112
    public static let reserved = 120
}

/// The sections, in the order they appear in the section table and in the file.
public enum Section: UInt8 {
    case strings = 0, tensors, operators, indices, params, inputs, outputs, exits, sparse, constants
    /// Not a section: names the file header in errors.
    case header = 0xFF
    public static let count = 10

    /// Size of one record; 1 for byte sections.
    public var recordSize: Int {
        switch self {
        case .strings, .sparse, .constants, .header: return 1
        case .tensors: return TensorRecord.size
        case .operators: return OperatorRecord.size
        case .exits: return ExitRecord.size
        case .indices, .params, .inputs, .outputs: return 4
        }
    }

    public var name: StaticString {
        switch self {
        case .strings: return "strings"
        case .tensors: return "tensors"
        case .operators: return "operators"
        case .indices: return "indices"
        case .params: return "params"
        case .inputs: return "inputs"
        case .outputs: return "outputs"
        case .exits: return "exits"
        case .sparse: return "sparse"
        case .constants: return "constants"
        case .header: return "header"
        }
    }
}

/// Element types. Raw values are the on-disk codes.
public enum DType: UInt8 {
    case int8 = 1, uint8 = 2, int16 = 3, int32 = 4, float32 = 5

    public var byteWidth: Int {
        switch self {
        case .int8, .uint8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        }
    }

    public var name: StaticString {
        switch self {
        case .int8: return "int8"
        case .uint8: return "uint8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .float32: return "float32"
        }
    }
}

/// Where a tensor's bytes live.
public enum Storage: UInt8 {
    /// In the caller's arena at `location` (a byte offset).
    case arena = 0
    /// In the constants section at `location` (a byte offset from the section start).
    case constant = 1
    /// Same bytes as the tensor whose index is `location` (zero-copy reshape).
    case alias = 2
}

/// Quantization kind of a tensor.
public enum QuantKind: UInt8 {
    case none = 0
    /// One scale/zero point for the whole tensor.
    case perTensor = 1
    /// Symmetric (zero point 0), one scale per index of `quantAxis`; scales in the constants section.
    case perChannel = 2
}

/// Confidence criterion of an early-exit checkpoint (used from format 1.0 on; see Docs/early-exit.md).
public enum ExitCriterion: UInt8 {
    /// The final exit: always taken.
    case final = 0
    case maxProbability = 1
    case margin = 2
    case entropy = 3
}
