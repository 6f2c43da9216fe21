import SparrowFormat
import SparrowKernels
import SparrowNPY

// The shared core of `sparrow run` (host) and `sparrow-device run` (board): both read the same
// .npy input, call these functions and write the same .npy bytes, so their outputs are
// byte-identical by construction. Pointers only; the caller owns every buffer.

/// Why a batch cannot run with the given input file.
public struct BatchError: Error, Equatable {
    public enum Reason: UInt8 {
        case inputNotFloat32, inputShapeMismatch, emptyInput, outputBufferTooSmall
        /// An int8/uint8 model input given a file that is neither float32 nor its own dtype
        /// (`expected`/`found`: NPYDType raw values of the input's dtype and the file's).
        case inputDTypeMismatch
        /// The inputs' files hold different numbers of samples (expected = input 0's, found = this one's).
        case sampleCountMismatch
        /// Same elements per sample, other dims (e.g. [N, 64] for a [N, 1, 8, 8] model); the
        /// message names both shapes (`expected`/`found`: the first differing dim or the ranks).
        case inputDimsMismatch
    }
    public var reason: Reason
    /// Elements per sample the model expects, and what the file offers.
    public var expected: Int
    public var found: Int
    /// The graph input whose file is at fault.
    public var input: Int

    public init(_ reason: Reason, expected: Int, found: Int, input: Int = 0) {
        self.reason = reason
        self.expected = expected
        self.found = found
        self.input = input
    }

    public var message: StaticString {
        switch reason {
        case .inputNotFloat32: return "input .npy must be float32 (write it with x.astype(np.float32))"
        case .inputDTypeMismatch:
            return "input .npy must be float32 (quantized on load) or the model input's own dtype (its int8/uint8 codes as they are)"
        case .inputShapeMismatch: return "input .npy sample size does not match the model input (elements per sample: expected, found)"
        case .emptyInput: return "input .npy has no samples"
        case .outputBufferTooSmall: return "output buffer too small"
        case .sampleCountMismatch: return "input .npy files hold different numbers of samples (first input's, this one's)"
        case .inputDimsMismatch: return "input .npy shape does not match the model input (samples first, then the model's own dims)"
        }
    }
}

/// The .npy layout of graph output `index` over a batch: [N] followed by the output's dims
/// without a leading batch of 1. Outputs are float32, or int64 (ArgMax indices); the buffers
/// are counted in 4-byte words, so one sample is `elements` floats or `elements / 2` int64s.
public struct OutputLayout {
    /// 4-byte words per sample (the element count for float32, twice it for int64).
    public var elements: Int
    public var rank: Int
    public var shape: (Int, Int, Int, Int, Int)
    public var dtype: NPYDType

    public init(elements: Int, rank: Int, shape: (Int, Int, Int, Int, Int), dtype: NPYDType = .float32) {
        self.elements = elements
        self.rank = rank
        self.shape = shape
        self.dtype = dtype
    }

    public init(model: VerifiedModel, output index: Int, sampleCount: Int) {
        let y = model.tensor(model.graphOutput(index))
        dtype = y.dtype == .int64 ? .int64 : .float32
        // int64: two words per index; int8/uint8 outputs are written dequantized, one float each.
        elements = y.dtype == .int64 ? Int(y.byteSize) / 4 : Int(y.byteSize) / (y.dtype?.byteWidth ?? 4)
        // Drop a leading batch dimension of 1; the file's first axis is the sample index.
        let dropBatch = y.rank >= 1 && y.dims.0 == 1
        let dims = (Int(y.dims.0), Int(y.dims.1), Int(y.dims.2), Int(y.dims.3))
        let kept = Int(y.rank) - (dropBatch ? 1 : 0)
        var s = (sampleCount, 1, 1, 1, 1)
        for i in 0..<kept {
            let source = i + (dropBatch ? 1 : 0)
            let d = source == 0 ? dims.0 : source == 1 ? dims.1 : source == 2 ? dims.2 : dims.3
            switch i {
            case 0: s.1 = d
            case 1: s.2 = d
            case 2: s.3 = d
            default: s.4 = d
            }
        }
        rank = kept + 1
        shape = s
    }

    /// Writes the output file's .npy header into `buffer`; returns its length.
    public func writeHeader(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        var shape = shape
        return withUnsafeBytes(of: &shape) { raw in
            let dims = raw.bindMemory(to: Int.self)
            return writeNPYHeader(dtype: dtype, shape: UnsafeBufferPointer(rebasing: dims[0..<rank]), into: buffer)
        }
    }

    public var headerLength: Int? {
        var shape = shape
        return withUnsafeBytes(of: &shape) { raw in
            npyHeaderLength(dtype: dtype, shape: UnsafeBufferPointer(rebasing: raw.bindMemory(to: Int.self)[0..<rank]))
        }
    }

    /// Bytes of the whole output file (header and N samples), or nil when the shape is too large.
    public var fileByteCount: Int? {
        guard let h = headerLength else { return nil }
        return h + shape.0 * elements * 4
    }
}

/// The layout of a batch run: N samples, elements per input and output sample, and the .npy
/// shape of the output file ([N] followed by the output's dims without a leading batch of 1).
public struct BatchPlan {
    public var sampleCount: Int
    /// Elements per sample of graph input 0 (`inputElements(model, k)` for the others).
    public var inputElements: Int
    /// 4-byte words per output sample (OutputLayout.elements).
    public var outputElements: Int
    public var outputDType: NPYDType
    /// Graph output written for each sample when the model has no exits.
    public var outputRank: Int
    public var outputShape: (Int, Int, Int, Int, Int)

    /// A single-input model's batch from its one input file.
    public init(model: VerifiedModel, input: NPYHeader) throws(BatchError) {
        self.init(model: model, sampleCount: try Self.sampleCount(model: model, input: 0, header: input))
    }

    /// `sampleCount` samples of already checked input files.
    public init(model: VerifiedModel, sampleCount: Int) {
        self.sampleCount = sampleCount
        inputElements = Self.inputElements(model, 0)
        let y = OutputLayout(model: model, output: 0, sampleCount: sampleCount)
        outputElements = y.elements
        outputDType = y.dtype
        outputRank = y.rank
        outputShape = y.shape
    }

    /// A batch from one file per graph input (`inputs[k]` for input k); every file must hold the
    /// same number of samples.
    public init(model: VerifiedModel, inputs: UnsafeBufferPointer<NPYHeader>) throws(BatchError) {
        try self.init(model: model, input: inputs[0])
        for k in 1..<max(inputs.count, 1) {
            let n = try Self.sampleCount(model: model, input: k, header: inputs[k])
            guard n == sampleCount else { throw BatchError(.sampleCountMismatch, expected: sampleCount, found: n, input: k) }
        }
    }

    /// Elements of one sample of graph input `k` (the .npy always holds them as float32; an
    /// int8/uint8 input is quantized when loaded, `Interpreter.loadInput`).
    public static func inputElements(_ model: VerifiedModel, _ k: Int) -> Int {
        let x = model.tensor(model.graphInput(k))
        return Int(x.byteSize) / (x.dtype?.byteWidth ?? 4)
    }

    /// The .npy dtype of graph input `k`'s own codes: int8 or uint8 for an int8/uint8 input
    /// (`sparrow convert --input-type int8`, int8 .tflite models), nil for a float32 input.
    public static func codeDType(_ model: VerifiedModel, _ k: Int) -> NPYDType? {
        switch model.tensor(model.graphInput(k)).dtype {
        case .int8?: return .int8
        case .uint8?: return .uint8
        default: return nil
        }
    }

    /// Samples in `header` as graph input `k`'s file: float32 (or the input's own int8/uint8
    /// codes, `codeDType`), a whole number of samples.
    public static func sampleCount(model: VerifiedModel, input k: Int, header input: NPYHeader) throws(BatchError) -> Int {
        let elements = inputElements(model, k)
        if input.dtype != .float32 {
            guard let codes = codeDType(model, k) else { throw BatchError(.inputNotFloat32, expected: 0, found: 0, input: k) }
            guard input.dtype == codes else {
                throw BatchError(.inputDTypeMismatch, expected: Int(codes.rawValue), found: Int(input.dtype.rawValue), input: k)
            }
        }
        guard input.elementCount > 0 else { throw BatchError(.emptyInput, expected: elements, found: 0, input: k) }
        let perSample = input.rank > 0 ? input.elementCount / max(input.dim(0), 1) : input.elementCount
        guard perSample == elements, input.elementCount % elements == 0 else {
            throw BatchError(.inputShapeMismatch, expected: elements, found: perSample, input: k)
        }
        // Same count is not enough: a [N, 64] file for a [N, 1, 8, 8] model is a layout mistake.
        // The file is [N] + the model input's dims without its leading batch dim of 1.
        let x = model.tensor(model.graphInput(k))
        let first = x.rank >= 1 && x.dims.0 == 1 ? 1 : 0
        guard input.rank == Int(x.rank) - first + 1 else {
            throw BatchError(.inputDimsMismatch, expected: Int(x.rank) - first + 1, found: input.rank, input: k)
        }
        for axis in 1..<max(input.rank, 1) where input.dim(axis) != Int(x.dim(axis - 1 + first)) {
            throw BatchError(.inputDimsMismatch, expected: Int(x.dim(axis - 1 + first)), found: input.dim(axis), input: k)
        }
        return input.elementCount / elements
    }

    var outputLayout: OutputLayout { OutputLayout(elements: outputElements, rank: outputRank, shape: outputShape, dtype: outputDType) }

    /// Writes the output file's .npy header into `buffer`; returns its length.
    public func writeOutputHeader(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        outputLayout.writeHeader(into: buffer)
    }

    /// Header of the int64 [N] exit-index file.
    public func writeExitIndexHeader(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        var n = sampleCount
        return withUnsafePointer(to: &n) { writeNPYHeader(dtype: .int64, shape: UnsafeBufferPointer(start: $0, count: 1), into: buffer) }
    }

    public var exitIndexHeaderLength: Int {
        var n = sampleCount
        return withUnsafePointer(to: &n) { npyHeaderLength(dtype: .int64, shape: UnsafeBufferPointer(start: $0, count: 1)) } ?? 0
    }

    public var outputHeaderLength: Int? { outputLayout.headerLength }
}

/// Totals of a batch run.
public struct BatchTotals {
    public var samples: Int = 0
    public var macs: UInt64 = 0
    public init() {}
}

extension Interpreter {
    /// Runs sample `i` of a batch: copies its floats into the input, invokes, and copies the
    /// float output of the exit taken (or output 0) into `output`.
    public func runSample(_ plan: BatchPlan, index i: Int, input: UnsafePointer<Float>,
                          output: UnsafeMutablePointer<Float>, fullDepth: Bool) -> InvokeResult {
        var first = input
        return withUnsafePointer(to: &first) { inputs in
            runSample(plan, index: i, inputs: inputs, output: output, allOutputs: nil, fullDepth: fullDepth)
        }
    }

    /// Runs sample `i` of a batch with one sample array per graph input (`inputs[k]`, all
    /// `model.inputCount` of them). Copies the float output of the exit taken (or output 0) into
    /// `output`, and with `allOutputs` every graph output k into `allOutputs[k]` (sample i's slot).
    public func runSample(_ plan: BatchPlan, index i: Int, inputs: UnsafePointer<UnsafePointer<Float>>,
                          output: UnsafeMutablePointer<Float>?, allOutputs: UnsafePointer<UnsafeMutablePointer<Float>>?,
                          fullDepth: Bool) -> InvokeResult {
        loadSample(index: i, inputs: inputs)
        let result = invoke(fullDepth: fullDepth)
        if let output {
            let outputIndex = result.exitIndex >= 0 ? Int(model.exit(result.exitIndex).outputIndex) : 0
            copyOutput(outputIndex, to: output + i * plan.outputElements, maxBytes: plan.outputElements * 4)
        }
        if let allOutputs {
            for k in 0..<model.outputCount {
                let elements = OutputLayout(model: model, output: k, sampleCount: 1).elements
                copyOutput(k, to: allOutputs[k] + i * elements, maxBytes: elements * 4)
            }
        }
        return result
    }

    /// Copies sample `i` of every graph input into the input buffers (`inputs[k]` holds input k's
    /// samples back to back).
    public func loadSample(index i: Int, inputs: UnsafePointer<UnsafePointer<Float>>) {
        for k in 0..<model.inputCount {
            loadInput(k, from: inputs[k] + i * BatchPlan.inputElements(model, k))
        }
    }

    /// Fills graph input `k` from one sample of floats. A float32 input takes them as they are; an
    /// int8 or uint8 input (`sparrow convert --input-type int8`, imported int8 .tflite models) is
    /// quantized here with its own scale and zero point, ties to even (ONNX QuantizeLinear, what the
    /// Quantize operator of a float-input model computes), so both give the same codes.
    public func loadInput(_ k: Int, from floats: UnsafePointer<Float>) {
        let t = model.tensor(model.graphInput(k))
        let x = inputBuffer(k)
        switch t.dtype {
        case .int8?:
            quantizeF32ToS8(input: floats, count: x.count, scale: t.scale, zeroPoint: t.zeroPoint,
                            output: x.baseAddress!.assumingMemoryBound(to: Int8.self))
        case .uint8?:
            // clamp(q + zp, 0, 255) = clamp(q + (zp − 128), −128, 127) + 128: the int8 kernel, then flip the sign bit.
            let codes = x.baseAddress!.assumingMemoryBound(to: Int8.self)
            quantizeF32ToS8(input: floats, count: x.count, scale: t.scale, zeroPoint: t.zeroPoint &- 128, output: codes)
            for j in 0..<x.count { codes[j] = codes[j] ^ -128 }
        default:
            x.baseAddress!.copyMemory(from: floats, byteCount: x.count)
        }
    }

    /// Graph output `k` as floats: a float32 output as it is, an int8/uint8 one dequantized with
    /// its scale and zero point (the Dequantize operator's formula, so the same floats).
    func copyOutput(_ k: Int, to destination: UnsafeMutablePointer<Float>, maxBytes: Int) {
        let t = model.tensor(model.graphOutput(k))
        let y = outputBuffer(k)
        switch t.dtype {
        case .int8?:
            dequantizeS8ToF32(input: y.baseAddress!.assumingMemoryBound(to: Int8.self), count: min(y.count, maxBytes / 4),
                              scale: t.scale, zeroPoint: t.zeroPoint, output: destination)
        case .uint8?:
            let codes = y.baseAddress!.assumingMemoryBound(to: UInt8.self)
            for j in 0..<min(y.count, maxBytes / 4) { destination[j] = Float(Int(Int32(codes[j]) &- t.zeroPoint)) * t.scale }
        default:
            UnsafeMutableRawPointer(destination).copyMemory(from: y.baseAddress!, byteCount: min(y.count, maxBytes))
        }
    }
}

/// Graph input `k`'s own int8/uint8 codes (an .npy of `BatchPlan.codeDType`) as the floats
/// (code − zero point) × scale, which `Interpreter.loadInput` quantizes back to the same codes:
/// every sample path (run, bench, sweeps, host and device) takes floats, and these carry the
/// codes through unchanged. That holds for any scale whose products stay normal floats (the
/// error of one rounding each way is far below half a step); it is checked per element, not
/// assumed. Returns the index of the first code that would not come back, nil when all do.
public func codesAsFloats(model: VerifiedModel, input k: Int, codes: UnsafeRawPointer, count: Int,
                          into floats: UnsafeMutablePointer<Float>) -> Int? {
    let t = model.tensor(model.graphInput(k))
    let unsigned = t.dtype == .uint8
    for i in 0..<count {
        let code = unsigned ? Int32(codes.load(fromByteOffset: i, as: UInt8.self)) : Int32(codes.load(fromByteOffset: i, as: Int8.self))
        // Through Int: Float's concrete init (the generic one from Int32 allocates on armv7 Embedded).
        floats[i] = Float(Int(code &- t.zeroPoint)) * t.scale
        // Interpreter.loadInput's quantization of that value (uint8: the int8 kernel at zp − 128, sign bit flipped).
        var back: Int8 = 0
        withUnsafeMutablePointer(to: &back) { out in
            quantizeF32ToS8(input: floats + i, count: 1, scale: t.scale,
                            zeroPoint: unsigned ? t.zeroPoint &- 128 : t.zeroPoint, output: out)
        }
        let returned = unsigned ? Int32(UInt8(bitPattern: back ^ -128)) : Int32(back)
        guard returned == code else { return i }
    }
    return nil
}
