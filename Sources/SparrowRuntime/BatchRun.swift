import SparrowFormat
import SparrowNPY

// The shared core of `sparrow run` (host) and `sparrow-device run` (board): both read the same
// .npy input, call these functions and write the same .npy bytes, so their outputs are
// byte-identical by construction. Pointers only; the caller owns every buffer.

/// Why a batch cannot run with the given input file.
public struct BatchError: Error, Equatable {
    public enum Reason: UInt8 {
        case inputNotFloat32, inputShapeMismatch, emptyInput, outputBufferTooSmall
        /// Same elements per sample, other dims (e.g. [N, 64] for a [N, 1, 8, 8] model); the
        /// message names both shapes (`expected`/`found`: the first differing dim or the ranks).
        case inputDimsMismatch
    }
    public var reason: Reason
    /// Elements per sample the model expects, and what the file offers.
    public var expected: Int
    public var found: Int

    public init(_ reason: Reason, expected: Int, found: Int) {
        self.reason = reason
        self.expected = expected
        self.found = found
    }

    public var message: StaticString {
        switch reason {
        case .inputNotFloat32: return "input .npy must be float32 (write it with x.astype(np.float32))"
        case .inputShapeMismatch: return "input .npy sample size does not match the model input (elements per sample: expected, found)"
        case .emptyInput: return "input .npy has no samples"
        case .outputBufferTooSmall: return "output buffer too small"
        case .inputDimsMismatch: return "input .npy shape does not match the model input (samples first, then the model's own dims)"
        }
    }
}

/// The layout of a batch run: N samples, elements per input and output sample, and the .npy
/// shape of the output file ([N] followed by the output's dims without a leading batch of 1).
public struct BatchPlan {
    public var sampleCount: Int
    public var inputElements: Int
    public var outputElements: Int
    /// Graph output written for each sample when the model has no exits.
    public var outputRank: Int
    public var outputShape: (Int, Int, Int, Int, Int)

    public init(model: VerifiedModel, input: NPYHeader) throws(BatchError) {
        let x = model.tensor(model.graphInput(0))
        inputElements = Int(x.byteSize) / 4
        guard input.dtype == .float32 else { throw BatchError(.inputNotFloat32, expected: 0, found: 0) }
        guard input.elementCount > 0 else { throw BatchError(.emptyInput, expected: inputElements, found: 0) }
        let perSample = input.rank > 0 ? input.elementCount / max(input.dim(0), 1) : input.elementCount
        guard perSample == inputElements, input.elementCount % inputElements == 0 else {
            throw BatchError(.inputShapeMismatch, expected: inputElements, found: perSample)
        }
        // Same count is not enough: a [N, 64] file for a [N, 1, 8, 8] model is a layout mistake.
        // The file is [N] + the model input's dims without its leading batch dim of 1.
        let first = x.rank >= 1 && x.dims.0 == 1 ? 1 : 0
        guard input.rank == Int(x.rank) - first + 1 else {
            throw BatchError(.inputDimsMismatch, expected: Int(x.rank) - first + 1, found: input.rank)
        }
        for axis in 1..<max(input.rank, 1) where input.dim(axis) != Int(x.dim(axis - 1 + first)) {
            throw BatchError(.inputDimsMismatch, expected: Int(x.dim(axis - 1 + first)), found: input.dim(axis))
        }
        sampleCount = input.elementCount / inputElements
        let y = model.tensor(model.graphOutput(0))
        outputElements = Int(y.byteSize) / (y.dtype?.byteWidth ?? 4)
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
        outputRank = kept + 1
        outputShape = s
    }

    /// Writes the output file's .npy header into `buffer`; returns its length.
    public func writeOutputHeader(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        var shape = outputShape
        return withUnsafeBytes(of: &shape) { raw in
            let dims = raw.bindMemory(to: Int.self)
            return writeNPYHeader(dtype: .float32, shape: UnsafeBufferPointer(rebasing: dims[0..<outputRank]), into: buffer)
        }
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

    public var outputHeaderLength: Int? {
        var shape = outputShape
        return withUnsafeBytes(of: &shape) { raw in
            npyHeaderLength(dtype: .float32, shape: UnsafeBufferPointer(rebasing: raw.bindMemory(to: Int.self)[0..<outputRank]))
        }
    }
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
        let x = inputBuffer(0)
        x.baseAddress!.copyMemory(from: input + i * plan.inputElements, byteCount: plan.inputElements * 4)
        let result = invoke(fullDepth: fullDepth)
        let outputIndex = result.exitIndex >= 0 ? Int(model.exit(result.exitIndex).outputIndex) : 0
        let y = outputBuffer(outputIndex)
        (output + i * plan.outputElements).withMemoryRebound(to: UInt8.self, capacity: y.count) { dst in
            UnsafeMutableRawPointer(dst).copyMemory(from: y.baseAddress!, byteCount: min(y.count, plan.outputElements * 4))
        }
        return result
    }
}
