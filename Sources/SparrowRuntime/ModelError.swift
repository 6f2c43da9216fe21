import SparrowFormat

/// Why a model file was rejected, and exactly where: the section, the record index and the
/// offending value, plus the limit it broke where there is one. No Foundation and no
/// allocation, so the device can report it too; the host adds `description`.
public struct ModelError: Error, Equatable {
    public enum Reason: UInt8 {
        // File and header
        case fileTooSmall, misalignedBuffer, badMagic, unsupportedVersion, badHeaderSize, fileSizeMismatch
        case checksumMismatch, badSectionCount, sectionMisaligned, sectionOutOfBounds, sectionOverlap
        case sectionSizeNotMultiple, arenaTooLarge
        // Tensors
        case badDType, badRank, badDimension, tensorTooLarge, byteSizeMismatch, badStorage, constantOutOfBounds
        case constantMisaligned, arenaOutOfBounds, arenaMisaligned, badAliasTarget, aliasMismatch, nameOutOfBounds
        case badQuantization, badZeroPoint, badQuantAxis, channelScalesOutOfBounds, badLifetime
        // Operators
        case badOpcode, indicesOutOfBounds, paramsOutOfBounds, wrongInputCount, wrongOutputCount, wrongParamCount
        case tensorIndexOutOfRange, wrongDType, wrongRank, shapeMismatch, notConstant, notInArena, badParameter
        case weightOutOfRange, accumulatorBound, biasOutOfRange, badMultiplier, badShift, badActivationRange
        case notPerChannelLength, tapOutOfRange
        // Graph and plan
        case tensorWrittenTwice, usedBeforeWritten, lifetimeTooShort, arenaOverlap, noInputs, noOutputs
        case badGraphInput, badGraphOutput
        // Exits
        case badExitTensor, badExitOrder, unsupportedCriterion, badExitOutput, badExitTable, badExitThreshold
        // Sparse matrices (format 1.1)
        case sparseOutOfBounds, sparseMisaligned, badBlockShape, badIndexWidth, sparseSizeMismatch
        case sparseCountMismatch, sparseIndexOutOfRange
    }

    public var reason: Reason
    public var section: Section
    /// Record index within the section (-1 when the error is about the section as a whole).
    public var index: Int
    /// The offending value.
    public var value: Int
    /// The limit or expected value it was checked against (0 when there is none).
    public var limit: Int
    /// The field or operand concerned, e.g. "strideH" or "input 1".
    public var field: StaticString

    public init(_ reason: Reason, _ section: Section, index: Int = -1, value: Int = 0, limit: Int = 0,
                field: StaticString = "") {
        self.reason = reason
        self.section = section
        self.index = index
        self.value = value
        self.limit = limit
        self.field = field
    }

    public static func == (a: ModelError, b: ModelError) -> Bool {
        a.reason == b.reason && a.section == b.section && a.index == b.index && a.value == b.value
            && a.limit == b.limit
    }
}

extension ModelError.Reason {
    /// What went wrong, in words; the value and limit follow it when printed.
    public var message: StaticString {
        switch self {
        case .fileTooSmall: return "file is smaller than the 128-byte header"
        case .misalignedBuffer: return "model bytes are not 16-byte aligned; load the file into aligned memory"
        case .badMagic: return "not a Sparrow model (magic is not 'SPRW')"
        case .unsupportedVersion: return "unsupported format major version; reconvert with this Sparrow"
        case .badHeaderSize: return "header size field is not 128"
        case .fileSizeMismatch: return "file size in the header differs from the bytes given (truncated or padded file)"
        case .checksumMismatch: return "CRC-32 checksum mismatch (file corrupted)"
        case .badSectionCount: return "section count is not 10"
        case .sectionMisaligned: return "section offset is not a multiple of 16"
        case .sectionOutOfBounds: return "section extends past the end of the file"
        case .sectionOverlap: return "section starts before the previous one ends"
        case .sectionSizeNotMultiple: return "section size is not a multiple of its record size"
        case .arenaTooLarge: return "arena size is larger than this build can address"
        case .badDType: return "unknown dtype code"
        case .badRank: return "rank must be 0...4"
        case .badDimension: return "dimension must be >= 1 (and unused dimensions 1)"
        case .tensorTooLarge: return "tensor element count overflows"
        case .byteSizeMismatch: return "byte size does not equal element count x dtype width"
        case .badStorage: return "unknown storage code"
        case .constantOutOfBounds: return "constant data lies outside the constants section"
        case .constantMisaligned: return "constant data offset is not 16-byte aligned"
        case .arenaOutOfBounds: return "arena tensor lies outside the arena"
        case .arenaMisaligned: return "arena offset is not 16-byte aligned"
        case .badAliasTarget: return "alias must name an earlier arena tensor"
        case .aliasMismatch: return "alias differs from its target in dtype, byte size or quantization"
        case .nameOutOfBounds: return "name lies outside the strings section"
        case .badQuantization: return "unknown quantization code or missing scale"
        case .badZeroPoint: return "zero point out of range for the dtype (per-channel must be 0)"
        case .badQuantAxis: return "per-channel axis out of range"
        case .channelScalesOutOfBounds: return "per-channel scales lie outside the constants section"
        case .badLifetime: return "planned lifetime is malformed (liveFrom > liveTo or out of range)"
        case .badOpcode: return "unknown opcode"
        case .indicesOutOfBounds: return "operator's tensor index list lies outside the indices section"
        case .paramsOutOfBounds: return "operator's parameters lie outside the params section"
        case .wrongInputCount: return "wrong number of inputs for this opcode"
        case .wrongOutputCount: return "wrong number of outputs for this opcode"
        case .wrongParamCount: return "wrong number of parameter words for this opcode"
        case .tensorIndexOutOfRange: return "tensor index out of range"
        case .wrongDType: return "operand has the wrong dtype"
        case .wrongRank: return "operand has the wrong rank"
        case .shapeMismatch: return "operand shape is inconsistent with the operator"
        case .notConstant: return "operand must be constant data"
        case .notInArena: return "operand must live in the arena"
        case .badParameter: return "parameter out of range"
        case .weightOutOfRange: return "weight is -128; symmetric weights must be in [-127, 127]"
        case .accumulatorBound: return "accumulation depth exceeds the int32 accumulator bound"
        case .biasOutOfRange: return "bias magnitude exceeds the accumulator headroom"
        case .badMultiplier: return "requantization multiplier must be 0 or in [2^30, 2^31)"
        case .badShift: return "requantization shift out of range [-31, 30]"
        case .badActivationRange: return "activation clamp must satisfy -128 <= min <= max <= 127"
        case .notPerChannelLength: return "per-channel array length differs from the output channel count"
        case .tapOutOfRange: return "resize tap or gather index outside the input, or a resize weight outside 0...1024"
        case .tensorWrittenTwice: return "tensor is written by more than one operator"
        case .usedBeforeWritten: return "tensor is read before any operator writes it"
        case .lifetimeTooShort: return "planned lifetime does not cover a use of the tensor"
        case .arenaOverlap: return "two tensors alive at the same time overlap in the arena"
        case .noInputs: return "graph has no inputs"
        case .noOutputs: return "graph has no outputs"
        case .badGraphInput: return "graph input must be an arena tensor written by no operator"
        case .badGraphOutput: return "graph output is never written"
        case .badExitTensor: return "exit tensor must be int8 logits written at or before its operator"
        case .badExitOrder: return "exits must be in increasing operator order, the last at the final operator"
        case .unsupportedCriterion: return "unknown exit criterion"
        case .badExitOutput: return "exit's graph output index is out of range"
        case .badExitTable: return "exit criterion table must be a constant int32 [2,256] with E[0] = 65536, E non-increasing >= 0, G[0] = 0, 0 <= G <= 24110"
        case .badExitThreshold: return "exit threshold out of range (probability and margin 0...65537, entropy >= -1; Q16)"
        case .sparseOutOfBounds: return "sparse matrix lies outside the sparse section"
        case .sparseMisaligned: return "sparse matrix offset is not a multiple of 16"
        case .badBlockShape: return "sparse block shape must be R x C with R, C in {1, 2, 4, 8, 16} dividing the matrix"
        case .badIndexWidth: return "sparse column index width must be 1 or 2 bytes"
        case .sparseSizeMismatch: return "sparse matrix size differs from the size its header implies"
        case .sparseCountMismatch: return "sparse block-row counts do not add up to the stored block count"
        case .sparseIndexOutOfRange: return "sparse block column index out of range"
        }
    }
}

/// The caller's arena cannot hold the model's plan.
public struct ArenaError: Error, Equatable {
    public enum Reason: UInt8 { case tooSmall, misaligned }
    public var reason: Reason
    /// Bytes (or alignment) the model needs.
    public var required: Int
    /// Bytes (or address remainder) given.
    public var provided: Int
    public init(_ reason: Reason, required: Int, provided: Int) {
        self.reason = reason
        self.required = required
        self.provided = provided
    }
}
